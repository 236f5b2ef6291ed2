"""push subscriptions tied to the signed-in session that made them

Revision ID: 0036_push_sessions
Revises: 0035_refold_serials
Create Date: 2026-12-09 12:00:00

A Web Push subscription outlived every way of ending sessions: someone who held a worker's session for a moment
subscribed a device of their own and kept receiving the worker's notifications after a logout, 退出所有设备 or a
new password. Each subscription now names its session (user_sessions.id, ON DELETE CASCADE) and goes with it.
The subscriptions already kept cannot be told apart (whose session made them is unknown), so they are removed: a
device still wanted is turned on again with one tap on 我的消息. Downgrade drops the column (the removed rows are
not brought back)."""
import sqlalchemy as sa
from alembic import op

revision = '0036_push_sessions'
down_revision = '0035_refold_serials'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("DELETE FROM push_subscriptions"))
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.String(length=32), nullable=False))
        batch_op.create_index(batch_op.f('ix_push_subscriptions_session_id'), ['session_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_push_subscriptions_session_id_user_sessions'), 'user_sessions',
                                    ['session_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('push_subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_push_subscriptions_session_id_user_sessions'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_push_subscriptions_session_id'))
        batch_op.drop_column('session_id')
