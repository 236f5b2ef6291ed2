"""media subtitles' stored sizes, counted against the organisation's storage quota (media/tus.py storage_used)

Revision ID: 0030_subtitle_sizes
Revises: 0029_certificate_numbers
Create Date: 2026-12-06 10:20:00

Subtitles were stored outside the quota: many assets, each with eight 2 MB files, went past it. Rows kept
before this get the size of their file as it is stored now (this folder or the bucket MEDIA_STORAGE names, as
the app is configured); a file that is gone counts 0. Not in offline (--sql) mode: no files to read there, the
rows stay 0 until their subtitles are replaced."""
import sqlalchemy as sa
from alembic import context, op

revision = '0030_subtitle_sizes'
down_revision = '0029_certificate_numbers'
branch_labels = None
depends_on = None


def _fill_sizes():
    from flask import current_app

    from media.service import MediaSettings

    storage = MediaSettings.of(current_app).storage
    conn = op.get_bind()
    table = sa.table("media_subtitles", sa.column("id", sa.Integer), sa.column("path", sa.String),
                     sa.column("size_bytes", sa.BigInteger))
    for row_id, key in conn.execute(sa.select(table.c.id, table.c.path)).all():
        try:
            size = storage.size(key)
        except FileNotFoundError:
            continue  # nothing stored, nothing counted
        conn.execute(table.update().where(table.c.id == row_id).values(size_bytes=size))


def upgrade():
    with op.batch_alter_table('media_subtitles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size_bytes', sa.BigInteger(), nullable=False, server_default='0'))
    if not context.is_offline_mode():
        _fill_sizes()


def downgrade():
    with op.batch_alter_table('media_subtitles', schema=None) as batch_op:
        batch_op.drop_column('size_bytes')
