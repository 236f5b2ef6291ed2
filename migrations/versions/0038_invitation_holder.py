"""an invitation is answered by the account that held the number, and lapses when that account moves off it

Revision ID: 0038_invitation_holder
Revises: 0037_staff_invitations
Create Date: 2026-12-09 18:00:00

An invitation waited on its number whatever happened to the account holding it: a teacher invited as an
institution's admin lost the phone, the union moved the account to a new SIM by ID card, and whoever held the lost
handset registered the number and accepted, becoming the institution's admin. Each invitation now notes the account
holding the number when it was sent (holder_id, ON DELETE CASCADE: NULL means "whoever registers it") and lapses
(status 'lapsed', lapse_reason) when that account moves to another number.

The open invitations kept: those whose number a union moved off (an approved phone_change_requests row decided
after the invitation was sent) lapse then; the rest are noted for the account holding the number now if it was
registered before the invitation was sent (one registered since is taken to be who it was sent to find). Downgrade
drops both columns (a lapsed invitation stays closed, as 'lapsed')."""
import sqlalchemy as sa
from alembic import op

revision = '0038_invitation_holder'
down_revision = '0037_staff_invitations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holder_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lapse_reason', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_staff_invitations_holder_id_users'), 'users', ['holder_id'],
                                    ['id'], ondelete='CASCADE')
    op.execute(sa.text(
        "UPDATE staff_invitations SET status = 'lapsed', lapse_reason = 'number_moved', decided_at = ("
        "SELECT MIN(r.decided_at) FROM phone_change_requests r WHERE r.old_phone = staff_invitations.phone"
        " AND r.status = 'approved' AND r.decided_at >= staff_invitations.created_at) "
        "WHERE status = 'pending' AND EXISTS ("
        "SELECT 1 FROM phone_change_requests r WHERE r.old_phone = staff_invitations.phone"
        " AND r.status = 'approved' AND r.decided_at >= staff_invitations.created_at)"))
    op.execute(sa.text("UPDATE staff_invitations SET holder_id = (SELECT u.id FROM users u "
                       "WHERE u.phone = staff_invitations.phone AND u.created_at <= staff_invitations.created_at) "
                       "WHERE status = 'pending'"))


def downgrade():
    with op.batch_alter_table('staff_invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_invitations_holder_id_users'), type_='foreignkey')
        batch_op.drop_column('lapse_reason')
        batch_op.drop_column('holder_id')
