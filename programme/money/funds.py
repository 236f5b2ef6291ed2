"""The funds ledger (经费台账): every yuan of the programme passes through append-only entries in fen.

Who posts what: opening a plan gives the province its budget; every change of a union's province money on the
quota table (programme/admissions/quotas.py, announced as "quota.changed") is a pass-down from the giver and an
allocation to the receiver (a change of an earlier allocation is a new entry that `corrects` it); the
province's yearly split by the rule of programme/money/allocation.py goes through those same quota changes;
cities and counties record their own top-ups and may hand money down; every subsidy paid is posted by
programme/money/subsidies.py in the transaction that records the payment, whole (province standard and both
top-ups) from the paying county's account: a city's top-up money reaches its counties by a pass-down. Each unit
is one pool; the province part of each subsidy is still capped by the quota table's `spent` CHECK.
A unit never pays or passes down more than it holds: the outflow and the balance check are one savepoint,
serialised per unit (an advisory lock on PostgreSQL; SQLite has one writer at a time). History is never
rewritten: the session refuses to flush a changed or deleted entry (`register`), and triggers on the table
refuse UPDATE and DELETE in the database itself."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from app import events
from app.accounts.models import Organisation, OrgKind, User
from app.accounts.policy import require
from app.errors import Conflict, Invalid
from app.lookup import get_or_raise
from app.sanitize import strip_markup
from programme.admissions import plans
from programme.admissions.models import Plan, Quota, QuotaChange
from programme.money.models import EntryKind, FundEntry, PaymentBatch, SubsidyPayment

MAX_FEN = 100_000_000_000        # one entry at most 10亿 yuan: a typo, not a budget
NOTE_LENGTH = 200
YUAN = re.compile(r"([+-]?)([0-9]{1,12})(?:\.([0-9]{1,2}))?")


def register() -> None:
    """Called by the app factory: listen to admissions' announcements, and refuse rewriting entries."""
    events.subscribe(events.PLAN_OPENED, on_plan_opened)
    events.subscribe(events.QUOTA_CHANGED, on_quota_changed)
    if not event.contains(Session, "before_flush", _refuse_rewrite):
        event.listen(Session, "before_flush", _refuse_rewrite)


def _refuse_rewrite(session: Session, _context: Any, _instances: Any) -> None:
    """The service's guard: an entry changed or deleted through the ORM never reaches the database."""
    changed = [o for o in session.dirty if isinstance(o, FundEntry) and session.is_modified(o)]
    if changed or any(isinstance(o, FundEntry) for o in session.deleted):
        raise Conflict(_("经费台账只能追加，不能修改或删除；更正请另记一笔调整。"), code="ledger_append_only")


def balance(session: Session, plan_id: int, org_id: int) -> int:
    """What the unit holds now, in fen."""
    return int(session.scalar(select(func.coalesce(func.sum(FundEntry.amount_fen), 0))
                              .where(FundEntry.plan_id == plan_id, FundEntry.org_id == org_id)) or 0)


def _lock(session: Session, plan_id: int, org_id: int) -> None:
    """Serialise outflows of one unit's account on PostgreSQL until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": (plan_id << 32) + org_id})


def _post(session: Session, plan_id: int, org: Organisation, kind: EntryKind, amount: int,
          check: Callable[[], None] | None = None, **values: Any) -> FundEntry:
    """One entry; an outflow only while the unit still holds it (Conflict otherwise, nothing written). `check` runs
    for an outflow in the same locked savepoint, after the entry is written: what it counts includes the entry, and
    an outflow of the same unit at the same moment waits for this one's transaction to end."""
    entry = FundEntry(plan_id=plan_id, org_id=org.id, kind=kind, amount_fen=amount, **values)
    if amount >= 0:
        session.add(entry)
        session.flush()
        return entry
    _lock(session, plan_id, org.id)
    with session.begin_nested():
        session.add(entry)
        session.flush()
        if check is not None:
            check()
        if balance(session, plan_id, org.id) < 0:
            raise Conflict(_("%(org)s 的经费余额不足，不能支出或下拨 %(yuan)s 元。", org=org.name, yuan=yuan(-amount)),
                           code="funds_exceeded")
    return entry


def yuan(fen: int) -> str:
    """Fen shown as yuan with two decimals, exactly (no float)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def _posted(session: Session, source: str) -> bool:
    return session.scalar(select(FundEntry.id).where(FundEntry.source == source).limit(1)) is not None


def _last(session: Session, plan_id: int, org_id: int, kind: EntryKind, counterpart_id: int | None) -> int | None:
    """The latest entry a new one of the same kind and counterpart corrects."""
    return session.scalar(select(FundEntry.id).where(
        FundEntry.plan_id == plan_id, FundEntry.org_id == org_id, FundEntry.kind == kind,
        FundEntry.counterpart_id.is_(None) if counterpart_id is None else FundEntry.counterpart_id == counterpart_id)
        .order_by(FundEntry.id.desc()).limit(1))


def on_plan_opened(session: Session, key: str) -> None:
    """The province receives the year's budget (idempotent)."""
    plan = get_or_raise(session, Plan, int(key), _("没有这个年度计划。"))
    source = f"plan:{plan.id}"
    if plan.budget_yuan and not _posted(session, source):
        _post(session, plan.id, plans.province(session), EntryKind.allocation, plan.budget_yuan * 100,
              source=source, created_by_id=plan.created_by_id, note=_("%(y)d 年度省级专项经费", y=plan.year))


def on_quota_changed(session: Session, key: str) -> None:
    """A change of a union's province money: pass-down from its parent and allocation to it (idempotent)."""
    change = get_or_raise(session, QuotaChange, int(key), _("没有这条分配记录。"))
    delta = (change.budget_after - change.budget_before) * 100
    source = f"quota_change:{change.id}"
    if delta == 0 or _posted(session, source):
        return
    quota = get_or_raise(session, Quota, change.quota_id, _("没有这条分配记录。"))
    org, parent = quota.org, quota.org.parent
    common: dict[str, Any] = {"source": source, "created_by_id": change.actor_id}
    if parent is None:  # the province's own budget changed with the plan
        _post(session, quota.plan_id, org, EntryKind.allocation, delta, note=_("年度预算调整"),
              corrects_id=_last(session, quota.plan_id, org.id, EntryKind.allocation, None), **common)
        return
    note = _("名额分配（省级资金）")
    corrects = _last(session, quota.plan_id, org.id, EntryKind.allocation, parent.id)
    if delta > 0:  # the giver's outflow first: it is the one that may be refused
        _post(session, quota.plan_id, parent, EntryKind.pass_down, -delta, counterpart_id=org.id, note=note,
              corrects_id=_last(session, quota.plan_id, parent.id, EntryKind.pass_down, org.id), **common)
        _post(session, quota.plan_id, org, EntryKind.allocation, delta, counterpart_id=parent.id, note=note,
              corrects_id=corrects, **common)
    else:
        _post(session, quota.plan_id, org, EntryKind.allocation, delta, counterpart_id=parent.id, note=note,
              corrects_id=corrects, **common)
        _post(session, quota.plan_id, parent, EntryKind.pass_down, -delta, counterpart_id=org.id, note=note,
              corrects_id=_last(session, quota.plan_id, parent.id, EntryKind.pass_down, org.id), **common)


def post_payment(session: Session, batch: PaymentBatch, payment: SubsidyPayment) -> FundEntry:
    """A subsidy paid leaves the paying county's account; called where the payment row is written."""
    return _post(session, batch.plan_id, batch.org, EntryKind.payment, -payment.amount * 100,
                 payment_id=payment.id, created_by_id=batch.created_by_id,
                 note=_("补贴发放（第 %(n)d 号申请）", n=payment.claim_id))


def _amount(raw: Any, field: str, *, signed: bool = False) -> int:
    """Fen from a whole number of fen or a yuan text with up to two decimals ("1500", "1500.5")."""
    fen = raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_yuan(str(raw or ""), field)
    if fen == 0 or (fen < 0 and not signed) or abs(fen) > MAX_FEN:
        raise Invalid(_("金额有误，请按提示修改。"), fields={field: _("请填写大于零的金额（元，最多两位小数）。")})
    return fen


def parse_yuan(value: str, field: str = "amount") -> int:
    """Exact fen from what someone typed in yuan ("1500", "-20.5", "1,500.00"); no floats on the way."""
    found = YUAN.fullmatch(value.strip().replace(",", "").replace("，", ""))
    if found is None:
        raise Invalid(_("金额有误，请按提示修改。"), fields={field: _("请填写金额（元，最多两位小数）。")})
    sign, whole, cents = found.groups()
    return (-1 if sign == "-" else 1) * (int(whole) * 100 + int((cents or "").ljust(2, "0")))


def _note(note: str, required: bool = False) -> str:
    clean = strip_markup(note.strip())[:NOTE_LENGTH]
    if required and not clean:
        raise Invalid(_("请写明说明。"), fields={"note": _("请填写说明。")})
    return clean


def top_up(session: Session, actor: User, plan: Plan, org: Organisation, amount: Any, note: str = "") -> FundEntry:
    """A city or county records its own money put into the programme (配套资金入账). `amount`: fen as an int
    (code), or yuan as typed in a form (text)."""
    require(actor, "quota.top_up", org)
    fen = _amount(amount, "amount")
    return _post(session, plan.id, org, EntryKind.top_up, fen, note=_note(note) or _("本级配套资金"),
                 created_by_id=actor.id)


def pass_down(session: Session, actor: User, plan: Plan, child: Organisation, amount: Any,
              note: str = "") -> FundEntry:
    """A union hands money it holds (its top-ups included) to a union directly below it (经费下拨)."""
    parent = child.parent
    if parent is None or child.kind != OrgKind.union:
        raise Invalid(_("只能下拨给直属的下一级工会。"), fields={"org": _("请选择下一级工会。")})
    require(actor, "quota.allocate", parent)
    fen = _amount(amount, "amount")
    clean = _note(note) or _("经费下拨")
    out = _post(session, plan.id, parent, EntryKind.pass_down, -fen, counterpart_id=child.id, note=clean,
                created_by_id=actor.id)
    _post(session, plan.id, child, EntryKind.allocation, fen, counterpart_id=parent.id, note=clean,
          created_by_id=actor.id)
    return out


def pass_down_to(session: Session, actor: User, plan: Plan, parent: Organisation, child_code: str | None,
                 amount: Any, note: str = "") -> FundEntry:
    """Hand money down to the child union picked by its code (the form's choice)."""
    require(actor, "quota.allocate", parent)
    child = next((c for c in parent.children if c.code == child_code and c.kind == OrgKind.union), None)
    if child is None:
        raise Invalid(_("请选择下一级工会。"), fields={"child": _("请选择下一级工会。")})
    return pass_down(session, actor, plan, child, amount, note)


def get_entry(session: Session, entry_id: int) -> FundEntry:
    return get_or_raise(session, FundEntry, entry_id, _("没有这笔台账记录。"))


def _chain(session: Session, original_id: int) -> int:
    """A top-up with every correction of it, direct or through another correction (older entries may be such)."""
    chain = select(FundEntry.id).where(FundEntry.id == original_id).cte("chain", recursive=True)
    chain = chain.union_all(select(FundEntry.id).where(FundEntry.corrects_id == chain.c.id))
    return int(session.scalar(select(func.coalesce(func.sum(FundEntry.amount_fen), 0))
                              .where(FundEntry.id.in_(select(chain.c.id)))) or 0)


def adjust(session: Session, actor: User, entry: FundEntry, amount: Any, note: str) -> FundEntry:
    """Correct a top-up by a new entry referring to it (never by changing it). Money moved between units is
    corrected where it was moved (the quota table, or a pass-down back); a subsidy paid is final.
    A correction is itself a top-up entry: adjusting one corrects the original top-up, and the original with all
    its corrections never goes below nothing (that would take province money out as a "top-up correction")."""
    require(actor, "quota.top_up", entry.org)
    if entry.kind != EntryKind.top_up:
        raise Invalid(_("只有本级配套资金可以在这里调整；划拨请在名额分配中调整，已发放的补贴不能更改。"),
                      code="not_adjustable")
    fen = _amount(amount, "amount", signed=True)
    clean = _note(note, required=True)
    original = entry
    while original.corrects_id is not None:
        original = get_entry(session, original.corrects_id)

    def not_below_nothing() -> None:  # counted after the entry is written, under the unit's lock
        left = _chain(session, original.id)
        if left < 0:
            raise Invalid(_("调整后这笔配套资金不能为负数。"),
                          fields={"amount": _("最多调减 %(y)s 元。", y=yuan(max(left - fen, 0)))})

    return _post(session, original.plan_id, original.org, EntryKind.top_up, fen, check=not_below_nothing,
                 corrects_id=original.id, note=clean, created_by_id=actor.id)
