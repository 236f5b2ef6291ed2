"""exchange api: the education and HR departments' API tokens, and which token each pushed result came with

Revision ID: 0025_exchange_api
Revises: 0024_notifications
Create Date: 2026-12-03 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_exchange_api'
down_revision = '0024_notifications'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exchange_api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_exchange_api_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_exchange_api_tokens_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_exchange_api_tokens_revoked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_api_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_exchange_api_tokens_digest'))
    )
    with op.batch_alter_table('exchange_api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_api_tokens_org_id'), ['org_id'], unique=False)
    op.create_table('exchange_api_pushes',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['exchange_batches.id'], name=op.f('fk_exchange_api_pushes_batch_id_exchange_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['exchange_api_tokens.id'], name=op.f('fk_exchange_api_pushes_token_id_exchange_api_tokens'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('batch_id', name=op.f('pk_exchange_api_pushes'))
    )
    with op.batch_alter_table('exchange_api_pushes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_api_pushes_token_id'), ['token_id'], unique=False)


def downgrade():
    op.drop_table('exchange_api_pushes')
    with op.batch_alter_table('exchange_api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_api_tokens_org_id'))
    op.drop_table('exchange_api_tokens')
