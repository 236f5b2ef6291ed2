"""markdown sources: rich text is written in Markdown and its source kept beside the rendered HTML
(resources.description_md, lessons.body_md, policy_pages.body_md); existing HTML becomes sources that render to
exactly the HTML they had (app/richtext.py:legacy_source), so no page changes

Revision ID: 0018_markdown_sources
Revises: 0017_tus_multipart
Create Date: 2026-12-03 11:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

from app.richtext import legacy_source

# revision identifiers, used by Alembic.
revision = '0018_markdown_sources'
down_revision = '0017_tus_multipart'
branch_labels = None
depends_on = None

SOURCES = (('resources', 'description_html', 'description_md'), ('lessons', 'body_html', 'body_md'),
           ('policy_pages', 'body_html', 'body_md'))
BATCH = 500


def _fill(connection, name, html_column, md_column):
    table = sa.table(name, sa.column('id', sa.Integer()), sa.column(html_column, sa.Text()),
                     sa.column(md_column, sa.Text()))
    html, source = table.c[html_column], table.c[md_column]
    last = 0
    while True:  # in batches of ids, so a large catalog is never held in memory at once
        rows = connection.execute(sa.select(table.c.id, html).where(table.c.id > last, html != '')
                                  .order_by(table.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(table.update().where(table.c.id == sa.bindparam('row_id'))
                           .values({source: sa.bindparam('source')}),
                           [{'row_id': row[0], 'source': legacy_source(row[1])} for row in rows])
        last = rows[-1][0]


def upgrade():
    for name, _html, md_column in SOURCES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column(md_column, sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    for name, html_column, md_column in SOURCES:
        _fill(connection, name, html_column, md_column)


def downgrade():
    for name, _html, md_column in reversed(SOURCES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column(md_column)
