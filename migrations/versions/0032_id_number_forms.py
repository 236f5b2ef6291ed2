"""ID numbers kept in one form: ASCII digits and X (app/text.py id_number_form)

Revision ID: 0032_id_number_forms
Revises: 0031_diploma_per_institution
Create Date: 2026-12-06 12:00:00

Profiles and exchanged records kept ID numbers as typed, and full-width digits (１１０１…) passed the checksum: one
number in two forms was two people to every comparison by string (one ID one account, a department's own
records, a merge's ID check). Each stored number whose NFKC form is an 18-character ASCII number is kept in that
form. A profile is left as it is when another profile holds, or would hold, the same number (the unique index
allows one, and which account is the person's is for staff to decide: merging the two accounts, whose ID check
compares the folded forms). Data only; the typed forms are not put back on downgrade (they carried nothing)."""
import re
import unicodedata
from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = '0032_id_number_forms'
down_revision = '0031_diploma_per_institution'
branch_labels = None
depends_on = None

ASCII_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


def _folded(typed):
    """The number's one form, or None when it has none (left as it was)."""
    folded = unicodedata.normalize("NFKC", typed or "").strip().upper()
    return folded if ASCII_NUMBER.fullmatch(folded) else None


def _fold(conn, table, key, rows):
    changed = [{"k": row_key, "n": _folded(typed)} for row_key, typed in rows if _folded(typed) not in (None, typed)]
    if changed:
        conn.execute(table.update().where(table.c[key] == sa.bindparam("k")).values(id_number=sa.bindparam("n")),
                     changed)


def upgrade():
    conn = op.get_bind()
    profiles = sa.table("worker_profiles", sa.column("user_id", sa.Integer), sa.column("id_number", sa.String))
    held = conn.execute(sa.select(profiles.c.user_id, profiles.c.id_number)
                        .where(profiles.c.id_number.is_not(None))).all()
    forms = Counter(_folded(typed) or typed for _user, typed in held)
    _fold(conn, profiles, "user_id", [(user, typed) for user, typed in held if forms[_folded(typed) or typed] == 1])
    for name in ("certificate_records", "graduation_records"):  # many per person: no number is held by one row
        records = sa.table(name, sa.column("id", sa.Integer), sa.column("id_number", sa.String))
        _fold(conn, records, "id", conn.execute(sa.select(records.c.id, records.c.id_number)).all())


def downgrade():
    pass
