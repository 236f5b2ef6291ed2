"""account continuity: SMS verification codes and the message outbox, phone number change requests, account
merges (users.merged_into_id and the merge records)

Revision ID: 0013_account_continuity
Revises: 0012_subsidy_evidence
Create Date: 2026-12-03 06:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_account_continuity'
down_revision = '0012_subsidy_evidence'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_users_merged_into_id_users'), 'users', ['merged_into_id'],
                                    ['id'], ondelete='SET NULL')

    op.create_table('verification_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('wrong_tries', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_codes'))
    )
    with op.batch_alter_table('verification_codes', schema=None) as batch_op:
        batch_op.create_index('ix_verification_codes_phone_sent_at', ['phone', 'sent_at'], unique=False)
        batch_op.create_index('ix_verification_codes_source_sent_at', ['source', 'sent_at'], unique=False)

    op.create_table('sms_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('gateway', sa.String(length=16), nullable=False),
    sa.Column('error', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_messages'))
    )
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.create_index('ix_sms_messages_sent_at', ['sent_at'], unique=False)

    op.create_table('phone_change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('old_phone', sa.String(length=11), nullable=False),
    sa.Column('new_phone', sa.String(length=11), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_phone_change_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_phone_change_requests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_change_requests'))
    )
    with op.batch_alter_table('phone_change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_change_requests_user_id'), ['user_id'], unique=False)

    op.create_table('account_merges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_account_merges_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_id'], ['users.id'], name=op.f('fk_account_merges_source_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_id'], ['users.id'], name=op.f('fk_account_merges_target_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_merges'))
    )
    with op.batch_alter_table('account_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_merges_source_id'), ['source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_merges_target_id'), ['target_id'], unique=False)


def downgrade():
    with op.batch_alter_table('account_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_merges_target_id'))
        batch_op.drop_index(batch_op.f('ix_account_merges_source_id'))
    op.drop_table('account_merges')
    with op.batch_alter_table('phone_change_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_change_requests_user_id'))
    op.drop_table('phone_change_requests')
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_messages_sent_at')
    op.drop_table('sms_messages')
    with op.batch_alter_table('verification_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_codes_source_sent_at')
        batch_op.drop_index('ix_verification_codes_phone_sent_at')
    op.drop_table('verification_codes')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_merged_into_id_users'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
