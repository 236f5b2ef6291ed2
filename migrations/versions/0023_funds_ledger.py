"""funds ledger: append-only entries in fen (经费台账), refused UPDATE and DELETE by triggers

Revision ID: 0023_funds_ledger
Revises: 0022_posts
Create Date: 2026-12-03 14:40:00.000000

Existing years get no entries back-filled: the ledger starts with the plans opened after this revision (the
demo is loaded afresh); see the commit message.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_funds_ledger'
down_revision = '0022_posts'
branch_labels = None
depends_on = None

# as in programme/money/models.py
APPEND_ONLY_PG = """
CREATE OR REPLACE FUNCTION programme_fund_entries_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'programme_fund_entries is append-only: post a correcting entry instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER programme_fund_entries_append_only BEFORE UPDATE OR DELETE ON programme_fund_entries
    FOR EACH ROW EXECUTE FUNCTION programme_fund_entries_append_only();
"""
APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER programme_fund_entries_no_update BEFORE UPDATE ON programme_fund_entries "
    "BEGIN SELECT RAISE(ABORT, 'programme_fund_entries is append-only'); END",
    "CREATE TRIGGER programme_fund_entries_no_delete BEFORE DELETE ON programme_fund_entries "
    "BEGIN SELECT RAISE(ABORT, 'programme_fund_entries is append-only'); END",
)


def upgrade():
    op.create_table('programme_fund_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('allocation', 'top_up', 'pass_down', 'payment', name='fund_entry_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('counterpart_id', sa.Integer(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_programme_fund_entries_fund_entry_not_zero')),
    sa.ForeignKeyConstraint(['counterpart_id'], ['organisations.id'], name=op.f('fk_programme_fund_entries_counterpart_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['corrects_id'], ['programme_fund_entries.id'], name=op.f('fk_programme_fund_entries_corrects_id_programme_fund_entries'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_programme_fund_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_programme_fund_entries_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payment_id'], ['programme_subsidy_payments.id'], name=op.f('fk_programme_fund_entries_payment_id_programme_subsidy_payments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['plan_id'], ['programme_plans.id'], name=op.f('fk_programme_fund_entries_plan_id_programme_plans'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_fund_entries')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_programme_fund_entries_payment_id')),
    sa.UniqueConstraint('source', 'org_id', name=op.f('uq_programme_fund_entries_source'))
    )
    with op.batch_alter_table('programme_fund_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_fund_entries_corrects_id'), ['corrects_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programme_fund_entries_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_programme_fund_entries_plan_id'), ['plan_id'], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(APPEND_ONLY_PG)
    elif dialect == 'sqlite':
        for statement in APPEND_ONLY_SQLITE:
            op.execute(statement)


def downgrade():
    op.drop_table('programme_fund_entries')  # its triggers go with it
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS programme_fund_entries_append_only()')
