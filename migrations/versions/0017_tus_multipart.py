"""tus multipart: an upload's S3 multipart upload, its tail object and its recorded parts (uploads on any host)

Revision ID: 0017_tus_multipart
Revises: 0016_search_replicas
Create Date: 2026-12-03 09:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_tus_multipart'
down_revision = '0016_search_replicas'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('media_uploads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('multipart_id', sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column('tail_key', sa.String(length=200), nullable=False, server_default=''))
    op.create_table('media_upload_parts',
    sa.Column('upload_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('etag', sa.String(length=200), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['upload_id'], ['media_uploads.id'], name=op.f('fk_media_upload_parts_upload_id_media_uploads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('upload_id', 'number', name=op.f('pk_media_upload_parts'))
    )


def downgrade():
    op.drop_table('media_upload_parts')
    with op.batch_alter_table('media_uploads', schema=None) as batch_op:
        batch_op.drop_column('tail_key')
        batch_op.drop_column('multipart_id')
