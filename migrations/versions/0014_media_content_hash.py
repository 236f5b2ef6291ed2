"""media content hash: the same bytes uploaded twice are stored and transcoded once

Revision ID: 0014_media_content_hash
Revises: 0013_account_continuity
Create Date: 2026-12-03 06:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_media_content_hash'
down_revision = '0013_account_continuity'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('media_assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_media_assets_content_hash'), ['content_hash'], unique=False)


def downgrade():
    with op.batch_alter_table('media_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_assets_content_hash'))
        batch_op.drop_column('content_hash')
