"""Two accounts of one person made one (a worker who registered again with a new number). Every row pointing at
the source account is moved to the target: the tables are found from the schema (every foreign key to
users.id), so a table added later is not forgotten. Where a row cannot move because the target already has
its twin (two enrolments in one course), the more advanced of the two stays and the other is kept, as it was,
in the merge record; nothing is deleted without a copy there. The source account is disabled and points at
the target; the audit log has the merge. The card checked must be the one on the source's profile, and neither
account's identity may have changed within profiles.IDENTITY_HOLD: with the lost-phone path, a merge is the way an
account changes hands by ID card."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Table, UniqueConstraint, and_, delete, func, select, update
from sqlalchemy.orm import Session

from app import audit
from app.accounts import invitations, profiles, sessions
from app.accounts.masking import mask_phone
from app.accounts.models import AccountMerge, User
from app.accounts.policy import require
from app.db import Base
from app.errors import Conflict, Invalid
from app.text import id_number_form

# History that stays as it happened: who did what in the audit log, the merge records themselves; the source's
# signed-in sessions end instead of moving.
LEFT = {("audit_entries", "actor_id"), ("account_merges", "source_id"), ("account_merges", "target_id"),
        ("account_merges", "actor_id"), ("user_sessions", "user_id"),
        ("programme_fund_entries", "created_by_id")}  # the funds ledger is append-only
# A conflict rule reading the audit log's actor_id (who did it) must follow users.merged_into_id to the survivor.

_EARLY = datetime.min


def _t(value: Any) -> Any:
    return value if value is not None else _EARLY


# Which of two rows is "more advanced" (greater key stays); tables not named here keep the target's row.
RANK: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
    "enrolments": lambda r: (r["completed_at"] is not None, _t(r["last_active_at"]), r["last_position_s"] or 0),
    "lesson_progress": lambda r: (r["completed_at"] is not None, bool(r["reached_end"]), r["covered_s"] or 0),
    "credit_certificates": lambda r: (r["revoked_at"] is None, -_t(r["issued_at"]).toordinal()),
    "worker_profiles": lambda r: (r["id_number"] is not None, _t(r["updated_at"])),
    "learner_clocks": lambda r: (r["cursor_ms"] or 0,),
    "programme_applications": lambda r: (r["closed_at"] is None, _t(r["admitted_at"]), _t(r["verified_at"])),
}


# What a package does when a row of its table is replaced by its twin, before the row goes (registered by that
# package's init_app): the programme gives back the county place a replaced application held.
REPLACING: dict[str, Callable[[Session, dict[str, Any]], None]] = {}

# How the ledger revokes a credit record the merge found earned twice for one resource (registered by credits'
# init_app, as app imports no package above it): in the merge's transaction, so a credit counts once.
REVOKE_TWICE: dict[str, Callable[[Session, int], None]] = {}


def _user_columns() -> list[tuple[Table, str]]:
    found = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and (table.name, fk.parent.name) not in LEFT:
                found.append((table, fk.parent.name))
    return found


def _unique_sets(table: Table, column: str) -> list[list[str]]:
    sets = [[c.name for c in table.primary_key.columns]]
    sets += [[c.name for c in u.columns] for u in table.constraints if isinstance(u, UniqueConstraint)]
    sets += [[c.name for c in i.columns] for i in table.indexes if i.unique]
    return [s for s in sets if column in s and len(s) > 0]


def _children(session: Session, table: Table, row: dict[str, Any]) -> int:
    """Rows elsewhere that point at `row` (they would go with it, so it must not be replaced silently)."""
    total = 0
    for other in Base.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table:
                total += session.scalar(select(func.count()).select_from(other)
                                        .where(fk.parent == row[fk.column.name])) or 0
    return total


def _pk(table: Table, row: dict[str, Any]) -> Any:
    return and_(*[c == row[c.name] for c in table.primary_key.columns])


def _move_table(session: Session, table: Table, column: str, source: int, target: int,
                replaced: list[dict[str, Any]]) -> int:
    col = table.c[column]
    for key in _unique_sets(table, column):
        others = [table.c[name] for name in key if name != column]
        for row in [dict(r._mapping) for r in session.execute(select(table).where(col == source))]:
            twin = session.execute(select(table).where(col == target, *[c == row[c.name] for c in others])).first()
            if twin is None:
                continue
            twin_row = dict(twin._mapping)
            rank: Callable[[dict[str, Any]], tuple[Any, ...]] = RANK.get(table.name, lambda _r: ())
            keep_source = rank(row) > rank(twin_row)
            loser = twin_row if keep_source else row
            if _children(session, table, loser):
                raise Conflict(_("两个账号在“%(t)s”中有无法自动合并的记录，请先处理其中一条。", t=table.name),
                               code="merge_conflict")
            replaced.append({"table": table.name, "kept": "source" if keep_source else "target", "row": loser})
            if (replacing := REPLACING.get(table.name)) is not None:
                replacing(session, loser)
            session.execute(delete(table).where(_pk(table, loser)))
    moved = cast(CursorResult[Any], session.execute(update(table).where(col == source).values({column: target})))
    return moved.rowcount or 0


def _twice_earned(session: Session, target: int) -> list[int]:
    """Ledger records of credits earned twice for one resource (each account completed it), but the first: the
    ledger is append-only, so each is revoked (REVOKE_TWICE) and listed in the merge record."""
    table = Base.metadata.tables.get("credit_records")
    if table is None:
        return []
    revoked = select(table.c.revokes_id).where(table.c.revokes_id.is_not(None))  # counted once already
    rows = session.execute(select(table.c.id, table.c.resource_id).where(
        table.c.user_id == target, table.c.kind == "earned", table.c.resource_id.is_not(None),
        table.c.id.not_in(revoked)).order_by(table.c.id)).all()
    seen: set[int] = set()
    twice = []
    for record_id, resource_id in rows:
        if resource_id in seen:
            twice.append(record_id)
        seen.add(resource_id)
    return twice


def _id_on_file(user: User) -> str:
    return id_number_form(user.profile.id_number if user.profile is not None else None)


def _identity(user: User) -> tuple[str | None, str | None]:
    return (user.profile.real_name, user.profile.id_number) if user.profile is not None else (None, None)


def _check(session: Session, source: User, target: User, typed: str, now: datetime | None) -> None:
    """Refuse a merge unless the account emptied is tied to the card checked by the ID number on its profile (the
    target's, if any, must be the same), and neither identity changed lately. An account with no ID number on file
    is tied to the card by nothing but the word of whoever shows it (a stranger's number named as "my old account");
    one whose identity changed within profiles.IDENTITY_HOLD may hold the card holder's own number because they
    typed it, at a session its owner left open (a first fill asks no password)."""
    if source.id == target.id:
        raise Invalid(_("不能把账号合并到它自己。"), code="merge_same")
    if not source.is_active_account or not target.is_active_account:
        raise Conflict(_("已停用或已合并的账号不能再合并。"), code="merge_inactive")
    if not _id_on_file(source):
        message = _("要停用的账号没有登记身份证号码，无法确认它属于持证人，不能合并。")
        raise Invalid(message, code="id_missing", fields={"source": message})
    if not typed or _id_on_file(source) != typed or _id_on_file(target) not in ("", typed):
        message = _("两个账号登记的身份证号码与核对的证件不一致，不能合并。")
        raise Invalid(message, code="id_mismatch", fields={"id_number": message})
    for field, user in (("source", source), ("target", target)):
        if (held := _held(session, user, now)) is not None:
            raise Conflict(held, code="identity_recent", fields={field: held})


def _held(session: Session, user: User, now: datetime | None) -> str | None:
    """The lost-phone path's rule (continuity.identity_hold), said of a merge and naming the account."""
    if (held := profiles.identity_hold_days(session, user.id, now)) is None:
        return None
    day, until = held
    return _("账号%(phone)s登记的姓名或身份证号码于%(day)s更改过，更改后%(n)d天内不能凭身份证合并"
             "（以防他人先改资料再用自己的证件把账号合并走）。请于%(until)s以后再办理。",
             phone=mask_phone(user.phone), day=day, n=profiles.IDENTITY_HOLD.days, until=until)


def merge(session: Session, actor: User, source: User, target: User, *, id_number: str,
          now: datetime | None = None) -> AccountMerge:
    """`id_number` is the ID card the staff member checked: the source's profile must have it on file (`_check`).
    The identity the target takes over with the source's profile is audited and told to the target's owner as a
    change at /me/profile is, so the target is held in turn (continuity.identity_hold)."""
    require(actor, "account.merge", (source, target))
    _check(session, source, target, id_number_form(id_number), now)
    before = _identity(target)
    moved: dict[str, int] = {}
    replaced: list[dict[str, Any]] = []
    session.flush()
    for table, column in _user_columns():
        count = _move_table(session, table, column, source.id, target.id, replaced)
        if count:
            moved[f"{table.name}.{column}"] = count
    session.expire_all()
    source, target = session.get(User, source.id), session.get(User, target.id)  # type: ignore[assignment]
    assert source is not None and target is not None
    source.is_active_account, source.merged_into_id = False, target.id
    sessions.end_all(session, source, reason="merged")
    invitations.lapse_for_number(session, source.phone, reason="merged")  # not for the number's next holder
    twice, revoke = _twice_earned(session, target.id), REVOKE_TWICE.get("credit_records")
    for record_id in twice:
        if revoke is not None:
            revoke(session, record_id)
    detail = {"moved": moved, "replaced": replaced, "earned_twice": twice, "twice_revoked": revoke is not None,
              "source": {"id": source.id, "phone": mask_phone(source.phone), "name": source.name},
              "target": {"id": target.id, "phone": mask_phone(target.phone), "name": target.name}}
    record = AccountMerge(source_id=source.id, target_id=target.id, actor_id=actor.id,
                          record=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str))
    session.add(record)
    session.flush()
    if target.profile is not None and _identity(target) != before:
        profiles.tell_identity_change(session, target, before, target.profile, by=actor, merge=record.id)
    audit.record(session, actor, "user.merge", "user", target.id, source=source.id, merge=record.id,
                 moved=sum(moved.values()), replaced=len(replaced))
    return record


def detail(record: AccountMerge) -> dict[str, Any]:
    value = json.loads(record.record or "{}")
    return value if isinstance(value, dict) else {}


def records(session: Session, limit: int = 100) -> list[AccountMerge]:
    return list(session.scalars(select(AccountMerge).order_by(AccountMerge.id.desc()).limit(limit)))
