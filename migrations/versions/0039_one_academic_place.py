"""one live academic application per worker and year, whatever its level

Revision ID: 0039_one_academic_place
Revises: 0038_invitation_holder
Create Date: 2026-12-10 12:00:00

The unique key (plan_id, user_id, active_level) held one live application per level, so a worker applied to a
专科 and a 高起本 offering of the same year and the county's verification gave two places (the policy funds people:
每年资助1万人). Live academic applications now keep active_level 'academic' whatever their level (a training
project keeps 'training' and may sit beside one), so the same key holds one academic place a year. No schema change:
the live academic rows are rewritten, the earliest per worker and year only; a worker's second live academic
application filed before this keeps its level (it stood before the rule and is left to the county to decide).
Downgrade gives every 'academic' row its level back."""
import sqlalchemy as sa
from alembic import op

revision = '0039_one_academic_place'
down_revision = '0038_invitation_holder'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text(
        "UPDATE programme_applications SET active_level = 'academic' "
        "WHERE active_level IN ('zhuanke', 'gaoqiben', 'zhuanshengben') AND NOT EXISTS ("
        "SELECT 1 FROM programme_applications a WHERE a.plan_id = programme_applications.plan_id"
        " AND a.user_id = programme_applications.user_id"
        " AND a.active_level IN ('zhuanke', 'gaoqiben', 'zhuanshengben') AND a.id < programme_applications.id)"))


def downgrade():
    op.execute(sa.text("UPDATE programme_applications SET active_level = level WHERE active_level = 'academic'"))
