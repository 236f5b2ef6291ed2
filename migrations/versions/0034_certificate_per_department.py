"""a skill certificate number is unique within its sending department; certificate claims' result keys name it

Revision ID: 0034_certificate_per_department
Revises: 0033_wish_cleared_answers
Create Date: 2026-12-08 10:00:00

With the number unique site-wide, a department (or any sender of certificates) pushing or importing another
worker's certificate number first held it, and the issuing department's true record was refused (programme/
sharing/pushes.py, programme/exchange/imports.py). Each record now names its sending department (`org_id`, its
batch's organisation) and the number is unique within it. A claim approved on a record kept the bare number as its
`result_key`; it now keeps "certificate:<department id>:<number>" (programme/money/claim_checks.py), the department
being its record's; a claim approved on scans alone keeps the bare number. Downgrade strips the prefix and makes
the number site-wide unique again: it fails if two departments now hold one number (which of them is right is for
a person to decide)."""
import sqlalchemy as sa
from alembic import op

revision = '0034_certificate_per_department'
down_revision = '0033_wish_cleared_answers'
branch_labels = None
depends_on = None

PREFIX = 'certificate:'

claims = sa.table('programme_subsidy_claims', sa.column('id', sa.Integer), sa.column('result_key', sa.String),
                  sa.column('certificate_id', sa.Integer))
records = sa.table('certificate_records', sa.column('id', sa.Integer), sa.column('batch_id', sa.Integer),
                   sa.column('org_id', sa.Integer))
batches = sa.table('exchange_batches', sa.column('id', sa.Integer), sa.column('org_id', sa.Integer))


def _record_keys(conn):
    """(claim id, stored key, sending department) of every claim that consumed a result on a certificate record."""
    query = (sa.select(claims.c.id, claims.c.result_key, batches.c.org_id)
             .select_from(claims.join(records, records.c.id == claims.c.certificate_id)
                          .join(batches, batches.c.id == records.c.batch_id))
             .where(claims.c.result_key.is_not(None)))
    return conn.execute(query).all()


def _lifted(conn):
    """On SQLite batch mode copies certificate_records and drops the old table, which SQLite (foreign keys on)
    refuses while a claim points at one of its rows: those links are lifted for the copy (and put back by
    `_restore`, ids unchanged)."""
    if conn.dialect.name != 'sqlite':
        return []
    linked = claims.c.certificate_id.is_not(None)
    links = [{'claim': c, 'record': r}
             for c, r in conn.execute(sa.select(claims.c.id, claims.c.certificate_id).where(linked))]
    conn.execute(claims.update().where(linked).values(certificate_id=None))
    return links


def _restore(conn, links):
    if links:
        conn.execute(claims.update().where(claims.c.id == sa.bindparam('claim'))
                     .values(certificate_id=sa.bindparam('record')), links)


def upgrade():
    conn = op.get_bind()
    with op.batch_alter_table('certificate_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
    conn.execute(records.update().values(org_id=sa.select(batches.c.org_id)
                                         .where(batches.c.id == records.c.batch_id).scalar_subquery()))
    links = _lifted(conn)
    with op.batch_alter_table('certificate_records', schema=None) as batch_op:
        batch_op.alter_column('org_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_certificate_records_org_id'), ['org_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_certificate_records_org_id_organisations'), 'organisations',
                                    ['org_id'], ['id'], ondelete='RESTRICT')
        batch_op.drop_constraint(batch_op.f('uq_certificate_records_certificate_no'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_records_org_id'), ['org_id', 'certificate_no'])
    _restore(conn, links)
    for claim_id, key, org_id in _record_keys(conn):
        if not key.startswith(PREFIX):
            conn.execute(claims.update().where(claims.c.id == claim_id).values(result_key=f"{PREFIX}{org_id}:{key}"))


def downgrade():
    conn = op.get_bind()
    for claim_id, key, _org_id in _record_keys(conn):
        if key.startswith(PREFIX):
            conn.execute(claims.update().where(claims.c.id == claim_id).values(result_key=key.rsplit(':', 1)[1]))
    links = _lifted(conn)
    with op.batch_alter_table('certificate_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_certificate_records_org_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificate_records_certificate_no'), ['certificate_no'])
        batch_op.drop_constraint(batch_op.f('fk_certificate_records_org_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_certificate_records_org_id'))
        batch_op.drop_column('org_id')
    _restore(conn, links)
