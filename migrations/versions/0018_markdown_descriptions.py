"""markdown descriptions: resources.description_md, the Markdown source staff write; existing HTML descriptions
become sources that render to exactly the HTML they had (app/richtext.py:legacy_source), so no page changes

Revision ID: 0018_markdown_descriptions
Revises: 0017_tus_multipart
Create Date: 2026-12-03 11:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

from app.richtext import legacy_source

# revision identifiers, used by Alembic.
revision = '0018_markdown_descriptions'
down_revision = '0017_tus_multipart'
branch_labels = None
depends_on = None

resources = sa.table('resources', sa.column('id', sa.Integer()), sa.column('description_html', sa.Text()),
                     sa.column('description_md', sa.Text()))
BATCH = 500


def upgrade():
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_md', sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    last = 0
    while True:  # in batches of ids, so a large catalog is never held in memory at once
        rows = connection.execute(sa.select(resources.c.id, resources.c.description_html)
                                  .where(resources.c.id > last, resources.c.description_html != '')
                                  .order_by(resources.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(resources.update().where(resources.c.id == sa.bindparam('row_id'))
                           .values(description_md=sa.bindparam('source')),
                           [{'row_id': row.id, 'source': legacy_source(row.description_html)} for row in rows])
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_column('description_md')
