"""performance: yearly targets per union and supervision notices (督办) with their answers

Revision ID: 0020_performance
Revises: 0019_enrolment_device
Create Date: 2026-12-03 12:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_performance'
down_revision = '0019_enrolment_device'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programme_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('admissions', sa.Integer(), nullable=False),
    sa.Column('upgrades', sa.Integer(), nullable=False),
    sa.Column('completions', sa.Integer(), nullable=False),
    sa.Column('funds_yuan', sa.Integer(), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('admissions >= 0 AND upgrades >= 0 AND completions >= 0 AND funds_yuan >= 0', name=op.f('ck_programme_targets_targets_not_negative')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_programme_targets_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['plan_id'], ['programme_plans.id'], name=op.f('fk_programme_targets_plan_id_programme_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_programme_targets_set_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_targets')),
    sa.UniqueConstraint('plan_id', 'org_id', name=op.f('uq_programme_targets_plan_id'))
    )
    with op.batch_alter_table('programme_targets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_targets_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programme_targets_plan_id'), ['plan_id'], unique=False)
    op.create_table('programme_supervisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('from_org_id', sa.Integer(), nullable=False),
    sa.Column('to_org_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_programme_supervisions_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_org_id'], ['organisations.id'], name=op.f('fk_programme_supervisions_from_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['plan_id'], ['programme_plans.id'], name=op.f('fk_programme_supervisions_plan_id_programme_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_programme_supervisions_sent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_org_id'], ['organisations.id'], name=op.f('fk_programme_supervisions_to_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_supervisions'))
    )
    with op.batch_alter_table('programme_supervisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_supervisions_from_org_id'), ['from_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programme_supervisions_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index('ix_programme_supervisions_to_answered', ['to_org_id', 'answered_at'], unique=False)


def downgrade():
    op.drop_table('programme_supervisions')
    op.drop_table('programme_targets')
