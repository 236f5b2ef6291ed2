"""enrolment device: the kind of device a learner enrolled from, for course analytics

Revision ID: 0019_enrolment_device
Revises: 0018_markdown_sources
Create Date: 2026-12-03 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_enrolment_device'
down_revision = '0018_markdown_sources'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('device')
