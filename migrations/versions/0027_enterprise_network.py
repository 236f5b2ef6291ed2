"""enterprise network: teaching and exam points beside the unions' stations and points (area, contact, capacity,
coordinates), staff accounts of a point, co-authors of a resource (校企合作) and workplace mentors (企业导师)

Revision ID: 0027_enterprise_network
Revises: 0026_funds_ledger
Create Date: 2026-12-03 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_enterprise_network'
down_revision = '0026_funds_ledger'
branch_labels = None
depends_on = None


def _kind(*values):
    return sa.Enum(*values, name='point_kind', native_enum=False, create_constraint=True, length=32)


OLD_KINDS = ('station', 'point')
NEW_KINDS = ('station', 'point', 'teaching', 'exam')


def upgrade():
    with op.batch_alter_table('service_points', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact', sa.String(length=50), server_default='', nullable=False))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch_op.alter_column('kind', existing_type=_kind(*OLD_KINDS), type_=_kind(*NEW_KINDS),
                              existing_nullable=False)
    op.execute("UPDATE service_points SET area_id = org_id")  # a union's own points are in its own area
    with op.batch_alter_table('service_points', schema=None) as batch_op:
        batch_op.alter_column('area_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_service_points_area_id'), ['area_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_service_points_area_id_organisations'), 'organisations',
                                    ['area_id'], ['id'], ondelete='RESTRICT')
    op.create_table(
        'service_point_staff',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('named_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['named_by_id'], ['users.id'],
                                name=op.f('fk_service_point_staff_named_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['point_id'], ['service_points.id'],
                                name=op.f('fk_service_point_staff_point_id_service_points'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_service_point_staff_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_service_point_staff')),
        sa.UniqueConstraint('point_id', 'user_id', name=op.f('uq_service_point_staff_point_id')),
    )
    with op.batch_alter_table('service_point_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_point_staff_point_id'), ['point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_point_staff_user_id'), ['user_id'], unique=False)
    op.create_table(
        'resource_coauthors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resource_id', sa.Integer(), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('invited_at', sa.DateTime(), nullable=False),
        sa.Column('accepted_by_id', sa.Integer(), nullable=True),
        sa.Column('accepted_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'],
                                name=op.f('fk_resource_coauthors_accepted_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'],
                                name=op.f('fk_resource_coauthors_invited_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'],
                                name=op.f('fk_resource_coauthors_org_id_organisations'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['resource_id'], ['resources.id'],
                                name=op.f('fk_resource_coauthors_resource_id_resources'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resource_coauthors')),
        sa.UniqueConstraint('resource_id', 'org_id', name=op.f('uq_resource_coauthors_resource_id')),
    )
    with op.batch_alter_table('resource_coauthors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_coauthors_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_resource_coauthors_resource_id'), ['resource_id'], unique=False)
    op.create_table(
        'workplace_mentors',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enterprise_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('resource_id', sa.Integer(), nullable=True),
        sa.Column('pathway_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=50), nullable=False),
        sa.Column('named_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(resource_id IS NULL) <> (pathway_id IS NULL)',
                           name=op.f('ck_workplace_mentors_one_target')),
        sa.ForeignKeyConstraint(['enterprise_id'], ['organisations.id'],
                                name=op.f('fk_workplace_mentors_enterprise_id_organisations'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['named_by_id'], ['users.id'],
                                name=op.f('fk_workplace_mentors_named_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['pathway_id'], ['credit_pathways.id'],
                                name=op.f('fk_workplace_mentors_pathway_id_credit_pathways'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resource_id'], ['resources.id'],
                                name=op.f('fk_workplace_mentors_resource_id_resources'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_workplace_mentors_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workplace_mentors')),
    )
    with op.batch_alter_table('workplace_mentors', schema=None) as batch_op:
        for column in ('enterprise_id', 'user_id', 'resource_id', 'pathway_id'):
            batch_op.create_index(batch_op.f(f'ix_workplace_mentors_{column}'), [column], unique=False)


def downgrade():
    with op.batch_alter_table('workplace_mentors', schema=None) as batch_op:
        for column in ('enterprise_id', 'user_id', 'resource_id', 'pathway_id'):
            batch_op.drop_index(batch_op.f(f'ix_workplace_mentors_{column}'))
    op.drop_table('workplace_mentors')
    with op.batch_alter_table('resource_coauthors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_coauthors_resource_id'))
        batch_op.drop_index(batch_op.f('ix_resource_coauthors_org_id'))
    op.drop_table('resource_coauthors')
    with op.batch_alter_table('service_point_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_point_staff_user_id'))
        batch_op.drop_index(batch_op.f('ix_service_point_staff_point_id'))
    op.drop_table('service_point_staff')
    op.execute("DELETE FROM service_points WHERE kind IN ('teaching', 'exam')")
    with op.batch_alter_table('service_points', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_service_points_area_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_service_points_area_id'))
        batch_op.alter_column('kind', existing_type=_kind(*NEW_KINDS), type_=_kind(*OLD_KINDS),
                              existing_nullable=False)
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('capacity')
        batch_op.drop_column('contact')
        batch_op.drop_column('area_id')
