"""optional (选修) lessons: lessons.required

Revision ID: 0009_optional_lessons
Revises: 0008_evidence_objections
Create Date: 2026-11-29 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_optional_lessons'
down_revision = '0008_evidence_objections'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_column('required')
