"""credit recognitions' certificate numbers kept as compared: letters and digits only (credits/recognition.py)

Revision ID: 0029_certificate_numbers
Revises: 0028_lesson_qa_wishes
Create Date: 2026-12-05 21:55:00

A number typed "S330100-2025-0001" and one typed "S33010020250001" are one certificate; requests kept before
this kept the separators, so a new request of the same certificate would not find them. Data only; the
separators are not put back on downgrade (they carried nothing)."""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0029_certificate_numbers'
down_revision = '0028_lesson_qa_wishes'
branch_labels = None
depends_on = None


def _number(typed: str) -> str:
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", typed).casefold())
    return "".join(ch for ch in folded if ch.isalnum()).upper()


def upgrade():
    conn = op.get_bind()
    table = sa.table("credit_recognitions", sa.column("id", sa.Integer), sa.column("certificate_no", sa.String))
    for row_id, typed in conn.execute(sa.select(table.c.id, table.c.certificate_no)).all():
        kept = _number(typed or "")
        if kept != (typed or ""):
            conn.execute(table.update().where(table.c.id == row_id).values(certificate_no=kept))


def downgrade():
    pass
