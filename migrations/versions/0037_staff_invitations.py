"""staff appointments wait for the appointee's consent

Revision ID: 0037_staff_invitations
Revises: 0036_push_sessions
Create Date: 2026-12-09 15:00:00

An organisation's page appointed any registered number at once: the role took things from the appointee (a union's
reviewer made a department's staff was conflicted out of claims resting on its records; a learner made an
institution's staff could no longer rate its courses nor recover a lost phone), and the answer told any clerk
which numbers are registered. Appointments are now invitations, addressed to the number typed, granted only when
its holder accepts. Nothing to move: memberships already held stay as they are."""
import sqlalchemy as sa
from alembic import op

revision = '0037_staff_invitations'
down_revision = '0036_push_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('duty', sa.String(length=32), nullable=False),
    sa.Column('duty_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.Enum('worker', 'institution_staff', 'union_staff', 'enterprise_staff', 'admin', name='role',
                              native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('org_admin', sa.Boolean(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_staff_invitations_invited_by_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_staff_invitations_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_invitations_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_invitations'))
    )
    with op.batch_alter_table('staff_invitations', schema=None) as batch_op:
        batch_op.create_index('ix_staff_invitations_invited_by_id_created_at', ['invited_by_id', 'created_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_staff_invitations_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_staff_invitations_phone_status', ['phone', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_invitations_phone_status')
        batch_op.drop_index(batch_op.f('ix_staff_invitations_organisation_id'))
        batch_op.drop_index('ix_staff_invitations_invited_by_id_created_at')

    op.drop_table('staff_invitations')
