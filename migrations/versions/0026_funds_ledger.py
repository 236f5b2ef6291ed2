"""funds ledger: append-only entries in fen (经费台账), refused UPDATE and DELETE by triggers

Revision ID: 0026_funds_ledger
Revises: 0025_exchange_api
Create Date: 2026-12-03 14:40:00.000000

Years opened before this revision get opening entries (期初), so their ledger reconciles and their counties can
go on paying: each union's province money on the quota table as an allocation (the giver's pass-down beside it),
and every subsidy already paid as a payment.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_funds_ledger'
down_revision = '0025_exchange_api'
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
    _opening_entries(op.get_bind())
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute(APPEND_ONLY_PG)
    elif dialect == 'sqlite':
        for statement in APPEND_ONLY_SQLITE:
            op.execute(statement)


def _opening_entries(bind):
    entries = sa.table('programme_fund_entries', sa.column('plan_id', sa.Integer), sa.column('org_id', sa.Integer),
                       sa.column('kind', sa.String), sa.column('amount_fen', sa.BigInteger),
                       sa.column('counterpart_id', sa.Integer), sa.column('payment_id', sa.Integer),
                       sa.column('source', sa.String), sa.column('note', sa.Text),
                       sa.column('created_at', sa.DateTime))
    now = sa.func.now() if bind.dialect.name == 'postgresql' else sa.text("CURRENT_TIMESTAMP")
    rows = []
    quotas = bind.execute(sa.text(
        "SELECT q.id, q.plan_id, q.org_id, q.budget_yuan, o.parent_id FROM programme_quotas q "
        "JOIN organisations o ON o.id = q.org_id WHERE q.budget_yuan > 0 ORDER BY q.id")).all()
    for quota_id, plan_id, org_id, budget, parent_id in quotas:
        source = f'opening:{quota_id}'
        rows.append(dict(plan_id=plan_id, org_id=org_id, kind='allocation', amount_fen=budget * 100,
                         counterpart_id=parent_id, payment_id=None, source=source, note='期初：省级资金'))
        if parent_id is not None:
            rows.append(dict(plan_id=plan_id, org_id=parent_id, kind='pass_down', amount_fen=-budget * 100,
                             counterpart_id=org_id, payment_id=None, source=source, note='期初：省级资金'))
    payments = bind.execute(sa.text(
        "SELECT p.id, p.amount, b.plan_id, b.org_id, p.claim_id FROM programme_subsidy_payments p "
        "JOIN programme_payment_batches b ON b.id = p.batch_id WHERE p.amount > 0 ORDER BY p.id")).all()
    for payment_id, amount, plan_id, org_id, claim_id in payments:
        rows.append(dict(plan_id=plan_id, org_id=org_id, kind='payment', amount_fen=-amount * 100,
                         counterpart_id=None, payment_id=payment_id, source=None,
                         note=f'期初：补贴发放（第 {claim_id} 号申请）'))
    for row in rows:
        bind.execute(entries.insert().values(**row, created_at=now))


def downgrade():
    op.drop_table('programme_fund_entries')  # its triggers go with it
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS programme_fund_entries_append_only()')
