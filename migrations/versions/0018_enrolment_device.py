"""enrolment device: the kind of device a learner enrolled from, for course analytics

Revision ID: 0018_enrolment_device
Revises: 0017_tus_multipart
Create Date: 2026-12-03 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_enrolment_device'
down_revision = '0017_tus_multipart'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('device')
