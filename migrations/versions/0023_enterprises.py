"""enterprises: workers' links to their enterprise with consent, nominations, the enterprise's own subsidy
top-up, and the enterprise's part on subsidy claims

Revision ID: 0023_enterprises
Revises: 0022_posts
Create Date: 2026-12-03 14:06:14.137552

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_enterprises'
down_revision = '0022_posts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('enterprise_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'confirmed', 'refused', name='enterprise_link_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('linked_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('consent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_enterprise_links_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['organisations.id'], name=op.f('fk_enterprise_links_enterprise_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enterprise_links_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_links')),
    sa.UniqueConstraint('user_id', name=op.f('uq_enterprise_links_user_id'))
    )
    with op.batch_alter_table('enterprise_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_links_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('enterprise_subsidies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('amount_yuan', sa.Integer(), nullable=False),
    sa.Column('budget_yuan', sa.Integer(), nullable=False),
    sa.Column('committed_yuan', sa.Integer(), nullable=False),
    sa.Column('attainments', sa.String(length=200), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_yuan >= 0 AND budget_yuan >= 0', name=op.f('ck_enterprise_subsidies_amounts_not_negative')),
    sa.CheckConstraint('committed_yuan >= 0 AND committed_yuan <= budget_yuan', name=op.f('ck_enterprise_subsidies_budget_held')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['organisations.id'], name=op.f('fk_enterprise_subsidies_enterprise_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['plan_id'], ['programme_plans.id'], name=op.f('fk_enterprise_subsidies_plan_id_programme_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_enterprise_subsidies_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_subsidies')),
    sa.UniqueConstraint('enterprise_id', 'plan_id', name=op.f('uq_enterprise_subsidies_enterprise_id'))
    )
    with op.batch_alter_table('enterprise_subsidies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_subsidies_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_subsidies_plan_id'), ['plan_id'], unique=False)

    op.create_table('enterprise_nominations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('offering_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'withdrawn', name='nomination_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('nominated_by_id', sa.Integer(), nullable=True),
    sa.Column('nominated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['organisations.id'], name=op.f('fk_enterprise_nominations_enterprise_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['nominated_by_id'], ['users.id'], name=op.f('fk_enterprise_nominations_nominated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['offering_id'], ['programme_offerings.id'], name=op.f('fk_enterprise_nominations_offering_id_programme_offerings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enterprise_nominations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_nominations')),
    sa.UniqueConstraint('enterprise_id', 'user_id', 'offering_id', name=op.f('uq_enterprise_nominations_enterprise_id'))
    )
    with op.batch_alter_table('enterprise_nominations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_nominations_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_nominations_offering_id'), ['offering_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_nominations_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('programme_subsidy_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_part', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('enterprise_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_programme_subsidy_claims_enterprise_id_organisations'), 'organisations', ['enterprise_id'], ['id'], ondelete='RESTRICT')



def downgrade():
    with op.batch_alter_table('programme_subsidy_claims', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_programme_subsidy_claims_enterprise_id_organisations'), type_='foreignkey')
        batch_op.drop_column('enterprise_id')
        batch_op.drop_column('enterprise_part')

    with op.batch_alter_table('enterprise_nominations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_nominations_user_id'))
        batch_op.drop_index(batch_op.f('ix_enterprise_nominations_offering_id'))
        batch_op.drop_index(batch_op.f('ix_enterprise_nominations_enterprise_id'))

    op.drop_table('enterprise_nominations')
    with op.batch_alter_table('enterprise_subsidies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_subsidies_plan_id'))
        batch_op.drop_index(batch_op.f('ix_enterprise_subsidies_enterprise_id'))

    op.drop_table('enterprise_subsidies')
    with op.batch_alter_table('enterprise_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enterprise_links_enterprise_id'))

    op.drop_table('enterprise_links')
