"""duty runs: one row per recurring duty of the background runtime (schedule, lease, last outcome)

Revision ID: 0015_duty_runs
Revises: 0014_media_content_hash
Create Date: 2026-12-03 08:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_duty_runs'
down_revision = '0014_media_content_hash'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('duty_runs',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('next_run_at', sa.DateTime(), nullable=False),
    sa.Column('last_started_at', sa.DateTime(), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(), nullable=True),
    sa.Column('last_worker', sa.String(length=100), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_error_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_duty_runs'))
    )


def downgrade():
    op.drop_table('duty_runs')
