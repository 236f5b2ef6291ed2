"""subsidy claims rest on evidence: the record or checked upload an approval consumed, once per result

Revision ID: 0012_subsidy_evidence
Revises: 0011_heartbeat_trust
Create Date: 2026-12-03 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_subsidy_evidence'
down_revision = '0011_heartbeat_trust'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('programme_subsidy_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attained_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('result_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('graduation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('certificate_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('evidence_checked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('evidence_checked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('evidence_check_note', sa.Text(), server_default='', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_programme_subsidy_claims_result_key'), ['result_key'])
        batch_op.create_index(batch_op.f('ix_programme_subsidy_claims_graduation_id'), ['graduation_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_programme_subsidy_claims_certificate_id'), ['certificate_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_programme_subsidy_claims_graduation_id_graduation_records'),
                                    'graduation_records', ['graduation_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_programme_subsidy_claims_certificate_id_certificate_records'),
                                    'certificate_records', ['certificate_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_programme_subsidy_claims_evidence_checked_by_id_users'),
                                    'users', ['evidence_checked_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('programme_subsidy_claims', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_programme_subsidy_claims_evidence_checked_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_programme_subsidy_claims_certificate_id_certificate_records'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_programme_subsidy_claims_graduation_id_graduation_records'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_programme_subsidy_claims_certificate_id'))
        batch_op.drop_index(batch_op.f('ix_programme_subsidy_claims_graduation_id'))
        batch_op.drop_constraint(batch_op.f('uq_programme_subsidy_claims_result_key'), type_='unique')
        batch_op.drop_column('evidence_check_note')
        batch_op.drop_column('evidence_checked_at')
        batch_op.drop_column('evidence_checked_by_id')
        batch_op.drop_column('certificate_id')
        batch_op.drop_column('graduation_id')
        batch_op.drop_column('result_key')
        batch_op.drop_column('attained_on')
