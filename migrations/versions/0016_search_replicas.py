"""search replicas: each host's search replica and where it is in the change log (the outbox's "resource" rows)

Revision ID: 0016_search_replicas
Revises: 0015_duty_runs
Create Date: 2026-12-03 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_search_replicas'
down_revision = '0015_duty_runs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_replicas',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('settled', sa.BigInteger(), nullable=False),
    sa.Column('seen', sa.BigInteger(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_search_replicas'))
    )


def downgrade():
    op.drop_table('search_replicas')
