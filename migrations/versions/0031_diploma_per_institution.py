"""a diploma number is unique within its institution; diploma claims' result keys name the institution

Revision ID: 0031_diploma_per_institution
Revises: 0030_subtitle_sizes
Create Date: 2026-12-06 10:30:00

With the number unique site-wide, an institution importing another's diploma number first held it, and the
awarding institution's true record was refused (programme/exchange/imports.py). Approved diploma claims kept the
bare number as their `result_key`; they now keep "diploma:<institution id>:<number>" (programme/money/
claim_checks.py), the institution being the claim's offering's (an approval on a record needed the two to agree).
Downgrade strips the prefix and makes the number site-wide unique again: it fails if two institutions now hold
one number (which of them is right is for a person to decide)."""
import sqlalchemy as sa
from alembic import op

revision = '0031_diploma_per_institution'
down_revision = '0030_subtitle_sizes'
branch_labels = None
depends_on = None

DIPLOMA_ATTAINMENTS = ('dazhuan', 'benke')
PREFIX = 'diploma:'

claims = sa.table('programme_subsidy_claims', sa.column('id', sa.Integer), sa.column('enrolment_id', sa.Integer),
                  sa.column('attainment', sa.String), sa.column('result_key', sa.String),
                  sa.column('graduation_id', sa.Integer))
enrolments = sa.table('programme_enrolments', sa.column('id', sa.Integer), sa.column('application_id', sa.Integer))
applications = sa.table('programme_applications', sa.column('id', sa.Integer), sa.column('offering_id', sa.Integer))
offerings = sa.table('programme_offerings', sa.column('id', sa.Integer), sa.column('institution_id', sa.Integer))


def _diploma_keys(conn):
    """(claim id, stored key, institution id) of every diploma claim that consumed a result."""
    query = (sa.select(claims.c.id, claims.c.result_key, offerings.c.institution_id)
             .select_from(claims.join(enrolments, enrolments.c.id == claims.c.enrolment_id)
                          .join(applications, applications.c.id == enrolments.c.application_id)
                          .join(offerings, offerings.c.id == applications.c.offering_id))
             .where(claims.c.result_key.is_not(None), claims.c.attainment.in_(DIPLOMA_ATTAINMENTS)))
    return conn.execute(query).all()


def _unique(drop: str, create: str, columns: list[str]) -> None:
    """Swap graduation_records' UNIQUE constraint. On SQLite batch mode copies the table and drops the old one,
    which SQLite (foreign keys on) refuses while a claim points at one of its rows: those links are lifted for the
    copy and put back, ids unchanged."""
    conn = op.get_bind()
    links = []
    if conn.dialect.name == 'sqlite':
        linked = claims.c.graduation_id.is_not(None)
        links = [{'claim': c, 'record': r} for c, r in conn.execute(sa.select(claims.c.id, claims.c.graduation_id)
                                                                         .where(linked))]
        conn.execute(claims.update().where(linked).values(graduation_id=None))
    with op.batch_alter_table('graduation_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(drop), type_='unique')
        batch_op.create_unique_constraint(batch_op.f(create), columns)
    if links:
        conn.execute(claims.update().where(claims.c.id == sa.bindparam('claim'))
                     .values(graduation_id=sa.bindparam('record')), links)


def upgrade():
    _unique('uq_graduation_records_diploma_no', 'uq_graduation_records_institution_id',
            ['institution_id', 'diploma_no'])
    conn = op.get_bind()
    for claim_id, key, institution_id in _diploma_keys(conn):
        if not key.startswith(PREFIX):
            conn.execute(claims.update().where(claims.c.id == claim_id)
                         .values(result_key=f"{PREFIX}{institution_id}:{key}"))


def downgrade():
    conn = op.get_bind()
    for claim_id, key, _institution_id in _diploma_keys(conn):
        if key.startswith(PREFIX):
            conn.execute(claims.update().where(claims.c.id == claim_id).values(result_key=key.rsplit(':', 1)[1]))
    _unique('uq_graduation_records_institution_id', 'uq_graduation_records_diploma_no', ['diploma_no'])
