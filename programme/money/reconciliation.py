"""Reading the funds ledger: each unit's reconciliation for a year (allocated + top-ups − paid − passed down =
balance, every figure a sum of its entries), a unit's statement, the provincial overview by city region, and
the province's yearly split by rule (programme/money/allocation.py), previewed and then applied through the
quota table so the quota's province money and the ledger never disagree.

The split runs at the grain of whole yuan: the plan's budget and the quota table are whole yuan, and a share in
fen would leave the quota table (which caps the province part of each subsidy) a few fen apart from the ledger.
The rule itself is unit-free and its properties are tested in fen."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, OrgKind, User
from app.accounts.policy import require
from programme.admissions import plans, quotas
from programme.admissions.models import Application, EnrolmentRecord, Plan
from programme.money import allocation
from programme.money.models import EntryKind, FundEntry


@dataclass
class Line:
    """One unit's (or one region's) money for a year, in fen."""

    org: Organisation
    allocated: int = 0
    top_ups: int = 0
    paid: int = 0          # positive: what subsidies took out
    passed_down: int = 0   # positive: what went to the unions below
    entries: int = 0

    @property
    def balance(self) -> int:
        return self.allocated + self.top_ups - self.paid - self.passed_down

    def add(self, kind: EntryKind, fen: int, count: int = 1) -> None:
        self.entries += count
        if kind == EntryKind.allocation:
            self.allocated += fen
        elif kind == EntryKind.top_up:
            self.top_ups += fen
        elif kind == EntryKind.payment:
            self.paid -= fen
        else:
            self.passed_down -= fen


def _subtree(session: Session, org: Organisation) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(Organisation.kind == OrgKind.union,
                                                           Organisation.path.startswith(org.path))
                                .order_by(Organisation.path)))


def _sums(session: Session, plan: Plan, orgs: list[Organisation]) -> dict[int, Line]:
    lines = {o.id: Line(o) for o in orgs}
    rows = session.execute(select(FundEntry.org_id, FundEntry.kind, func.sum(FundEntry.amount_fen), func.count())
                           .where(FundEntry.plan_id == plan.id, FundEntry.org_id.in_(list(lines)))
                           .group_by(FundEntry.org_id, FundEntry.kind))
    for org_id, kind, fen, count in rows:
        lines[org_id].add(EntryKind(kind), int(fen), int(count))
    return lines


def reconcile(session: Session, actor: User | None, plan: Plan, org: Organisation) -> list[Line]:
    """`org` and every union below it, each with its own figures (tree order)."""
    require(actor, "report.view", org)
    return list(_sums(session, plan, _subtree(session, org)).values())


def statement(session: Session, actor: User | None, plan: Plan, org: Organisation) -> list[FundEntry]:
    """Every entry of one unit's account for the year, oldest first."""
    require(actor, "report.view", org)
    return list(session.scalars(select(FundEntry).where(FundEntry.plan_id == plan.id, FundEntry.org_id == org.id)
                                .order_by(FundEntry.id)))


def region(lines: list[Line], head: Organisation) -> Line:
    """`head`'s region as one line: what came in from above, the top-ups and subsidies of all its units, and
    what is left in it. Money handed down inside the region stays in it, so nothing counts as passed down."""
    total = Line(head)
    for line in lines:
        if line.org.is_within(head):
            total.top_ups += line.top_ups
            total.paid += line.paid
            total.entries += line.entries
            if line.org.id == head.id:
                total.allocated = line.allocated
    return total


def overview(session: Session, actor: User | None, plan: Plan) -> tuple[Line, list[Line]]:
    """The province's own line and each city region's, for the provincial office."""
    prov = plans.province(session)
    lines = reconcile(session, actor, plan, prov)
    cities = [line.org for line in lines if line.org.parent_id == prov.id]
    return lines[0], [region(lines, city) for city in cities]


def region_figures(session: Session, plan: Plan, units: list[Organisation]) -> dict[int, tuple[int, int]]:
    """(received from above, subsidies paid in the region) in fen per unit: performance evaluation's fund use."""
    out = {}
    for unit in units:
        lines = list(_sums(session, plan, _subtree(session, unit)).values())
        out[unit.id] = (lines[0].allocated if lines else 0, sum(line.paid for line in lines))
    return out


@dataclass
class Share:
    city: Organisation
    places: int
    enrolled: int
    current_yuan: int  # province money the city holds on the quota table now
    share_yuan: int    # what the rule gives it


def preview(session: Session, actor: User | None, plan: Plan) -> list[Share]:
    """The rule's split of the province's budget among the cities, from this year's quota and enrolment."""
    prov = plans.province(session)
    require(actor, "quota.allocate", prov)
    held = quotas.quota_of(session, plan, prov)
    total = (held.budget_yuan - held.spent) if held else 0
    cities = [c for c in prov.children if c.kind == OrgKind.union]
    rows = [quotas.quota_of(session, plan, c) for c in cities]
    enrolled = [_enrolled(session, plan, c) for c in cities]
    figures = [allocation.CityFigures(r.places if r else 0, e) for r, e in zip(rows, enrolled, strict=True)]
    shares = allocation.split(total, figures)
    return [Share(c, f.places, f.enrolled, r.budget_yuan if r else 0, s)
            for c, f, r, s in zip(cities, figures, rows, shares, strict=True)]


def _enrolled(session: Session, plan: Plan, city: Organisation) -> int:
    return int(session.scalar(select(func.count(EnrolmentRecord.id)).join(Application)
                              .join(Organisation, Organisation.id == Application.county_id)
                              .where(Application.plan_id == plan.id, Organisation.path.startswith(city.path))) or 0)


def apply_rule(session: Session, actor: User, plan: Plan) -> list[Share]:
    """Give each city its share (专项经费划拨): cities losing money first, so the province never lends what it
    has not got back; each change is a quota change, hence a ledger entry correcting the earlier allocation."""
    shares = preview(session, actor, plan)
    for item in sorted(shares, key=lambda s: s.share_yuan - s.current_yuan):
        if item.share_yuan != item.current_yuan:
            quotas.allocate(session, actor, plan, item.city, item.places, item.share_yuan)
    return shares


KIND_LABELS: dict[EntryKind, Any] = {EntryKind.allocation: _l("上级划拨"), EntryKind.top_up: _l("本级配套"),
                                     EntryKind.pass_down: _l("向下级下拨"), EntryKind.payment: _l("补贴发放")}


def sheet(lines: list[Line], plan: Plan) -> list[list[Any]]:
    """The reconciliation as rows (header first) for CSV and XLSX; yuan with two decimals, as text-free numbers."""
    head = [_("年度"), _("单位"), _("上级划拨（元）"), _("本级配套（元）"), _("补贴发放（元）"), _("向下级下拨（元）"),
            _("结余（元）"), _("记录数")]
    rows: list[list[Any]] = [head]
    for line in lines:
        rows.append([plan.year, line.org.name, _money(line.allocated), _money(line.top_ups), _money(line.paid),
                     _money(line.passed_down), _money(line.balance), line.entries])
    return rows


def _money(fen: int) -> int | Decimal:
    """A spreadsheet number in yuan, exact: whole yuan as int, else a Decimal of two places."""
    return fen // 100 if fen % 100 == 0 else Decimal(fen) / 100
