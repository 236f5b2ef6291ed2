"""credit recognitions' certificate numbers folded again, to today's rules (credits/recognition.py _number); indexed

Revision ID: 0035_refold_serials
Revises: 0034_certificate_per_department
Create Date: 2026-12-08 12:00:00

0029 kept numbers as letters and digits; 第 and 号 were dropped, and Chinese numerals read as digits, only later,
so a training serial kept as "浙培字第2025001号" (or "浙培字二〇二五〇〇一") was not found when another person sent
"浙培字2025001": one certificate credited to two people. Every stored number is folded as a new one is; the number
is indexed, as every request and approval looks it up. Data and an index; the typed forms are not put back on
downgrade (they carried nothing)."""
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0035_refold_serials'
down_revision = '0034_certificate_per_department'
branch_labels = None
depends_on = None

AFFIXES = str.maketrans("", "", "第号號")
DIGITS = str.maketrans({**dict.fromkeys("〇零", "0"), **{ch: str(n) for digits in (
    "一二三四五六七八九", "壹贰叁肆伍陆柒捌玖", "壹貳參肆伍陸柒捌玖") for n, ch in enumerate(digits, 1)}})


def _number(typed):
    """As credits.recognition._number folds a number today (copied: a migration keeps the rules of its day)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", typed).casefold())
    return "".join(ch for ch in folded if ch.isalnum()).upper().translate(AFFIXES).translate(DIGITS)


def upgrade():
    conn = op.get_bind()
    table = sa.table("credit_recognitions", sa.column("id", sa.Integer), sa.column("certificate_no", sa.String))
    changed = [{"k": row_id, "n": _number(typed or "")}
               for row_id, typed in conn.execute(sa.select(table.c.id, table.c.certificate_no)).all()
               if _number(typed or "") != (typed or "")]
    if changed:
        conn.execute(table.update().where(table.c.id == sa.bindparam("k")).values(certificate_no=sa.bindparam("n")),
                     changed)
    with op.batch_alter_table("credit_recognitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_recognitions_certificate_no"), ["certificate_no"], unique=False)


def downgrade():
    with op.batch_alter_table("credit_recognitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_recognitions_certificate_no"))
