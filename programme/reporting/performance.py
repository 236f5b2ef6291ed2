"""Performance evaluation (绩效评估): each plan year a union sets targets for the unions directly below it
(admissions, skill upgrades, completions, subsidy money spent); the dashboard ranks those unions by how much
of their targets they reached, with a traffic light, beside the province money each was allocated.

The actual figures are the reports' own (programme.reporting.reports), so the dashboard, the report page and
their spreadsheets never disagree; the money (subsidies paid in a unit's region, money it received from above)
is the funds ledger's (programme.money.reconciliation), the same sums the funds pages reconcile.
A unit's score is the mean of its measures' percentages, each capped at 100
(overshooting one target does not hide another lagging); green from 90 %, amber from 60 %, red below."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.accounts.models import Organisation, OrgKind
from app.accounts.policy import can, require
from app.db import utcnow
from app.errors import Invalid
from programme.admissions.models import Plan
from programme.money import reconciliation
from programme.reporting import reports
from programme.reporting.models import Target

# target column -> (the report metric that measures it, label, unit)
MEASURES: dict[str, tuple[str, Any, Any]] = {
    "admissions": ("admitted", _l("录取"), _l("人")),
    "upgrades": ("certificates", _l("技能提升（证书）"), _l("人")),
    "completions": ("graduations", _l("学历毕业"), _l("人")),
    "funds_yuan": ("subsidies", _l("补贴资金使用"), _l("元")),
}
GREEN, AMBER = 90.0, 60.0
LIGHT_LABELS = {"green": _l("绿灯"), "amber": _l("黄灯"), "red": _l("红灯"), "none": _l("未设目标")}
MAX_TARGET = 2_000_000_000  # 32-bit columns


def percent(actual: float, target: int) -> float | None:
    """How much of `target` `actual` reached, in per cent (one decimal); None without a target."""
    if target <= 0:
        return None
    return round(actual * 100.0 / target, 1)


def score(actual: Mapping[str, float], target: Mapping[str, int]) -> float | None:
    """The mean of each targeted measure's percentage, capped at 100; None when nothing is targeted."""
    parts = [min(p, 100.0) for k in MEASURES if (p := percent(actual.get(k, 0), target.get(k, 0))) is not None]
    return round(sum(parts) / len(parts), 1) if parts else None


def light(value: float | None) -> str:
    """green ≥ 90 %, amber ≥ 60 %, red below; "none" without targets."""
    if value is None:
        return "none"
    return "green" if value >= GREEN else "amber" if value >= AMBER else "red"


@dataclass
class Row:
    org: Organisation
    target: dict[str, int]
    actual: dict[str, float]
    allocated: float = 0  # money this unit received from above, by the funds ledger (yuan)
    rank: int | None = None

    @property
    def score(self) -> float | None:
        return score(self.actual, self.target)

    @property
    def light(self) -> str:
        return light(self.score)

    def percent(self, key: str) -> float | None:
        return percent(self.actual.get(key, 0), self.target.get(key, 0))

    @property
    def fund_use(self) -> float | None:
        """Subsidies paid against the money allocated, in per cent."""
        return percent(self.actual.get("funds_yuan", 0), int(self.allocated))


def in_yuan(fen: int) -> float:
    """Ledger fen as yuan for the dashboard's figures: whole yuan as an int."""
    return fen // 100 if fen % 100 == 0 else round(fen / 100, 2)


def rank(rows: list[Row]) -> list[Row]:
    """Best score first (ties by name); units without targets last, unranked."""
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: (-(r.score or 0), r.org.name))
    for n, row in enumerate(scored, 1):
        row.rank = n
    return scored + sorted((r for r in rows if r.score is None), key=lambda r: r.org.name)


@dataclass
class Dashboard:
    org: Organisation
    plan: Plan
    rows: list[Row] = field(default_factory=list)
    can_manage: bool = False  # the viewer may set targets and send 督办 to these units


def children(org: Organisation) -> list[Organisation]:
    return [c for c in org.children if c.kind == OrgKind.union]


def dashboard(session: Session, actor: Any, org: Organisation, plan: Plan) -> Dashboard:
    """The unions directly below `org`, ranked by `plan`'s targets, from the reports' own figures."""
    keys = {metric for key, (metric, _label, _unit) in MEASURES.items() if key != "funds_yuan"}
    report = reports.build(session, actor, org, plan.year, [m for m in reports.all_metrics() if m.key in keys])
    units = children(org)
    money = reconciliation.region_figures(session, plan, units)
    targets = {t.org_id: t for t in session.scalars(select(Target).where(
        Target.plan_id == plan.id, Target.org_id.in_([u.id for u in units])))}
    rows = []
    for unit in units:
        found = targets.get(unit.id)
        received, paid = money[unit.id]
        actual = {k: report.by_region[m].get(unit.id, 0) for k, (m, _l1, _u) in MEASURES.items() if k != "funds_yuan"}
        rows.append(Row(unit, {k: getattr(found, k) if found else 0 for k in MEASURES},
                        actual | {"funds_yuan": in_yuan(paid)}, in_yuan(received)))
    return Dashboard(org, plan, rank(rows), bool(units) and can(actor, "performance.manage", units[0]))


def set_target(session: Session, actor: Any, plan: Plan, org: Organisation, values: Mapping[str, Any]) -> Target:
    """Set (or change) `org`'s targets for `plan`: only a union above it may."""
    require(actor, "performance.manage", org)
    clean: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key in MEASURES:
        raw = values.get(key, 0)
        try:
            value = raw if isinstance(raw, int) and not isinstance(raw, bool) else int(str(raw).strip() or "0")
        except ValueError:
            errors[key] = _("请填写整数（阿拉伯数字），不要带单位或小数点。")
            continue
        if value < 0:
            errors[key] = _("目标不能为负数。")
        elif value > MAX_TARGET:
            errors[key] = _("数额过大。")
        else:
            clean[key] = value
    if errors:
        raise Invalid(_("目标有误，请按提示修改。"), fields=errors)
    target = session.scalar(select(Target).where(Target.plan_id == plan.id, Target.org_id == org.id))
    if target is None:
        target = Target(plan_id=plan.id, org_id=org.id)
        session.add(target)
    for key, value in clean.items():
        setattr(target, key, value)
    target.set_by_id = actor.id
    target.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "performance.target", "org", org.code, org_id=org.id, year=plan.year, **clean)
    return target


def sheet(board: Dashboard) -> list[list[Any]]:
    """The dashboard as rows (header first): what the CSV and XLSX exports hold."""
    head = [str(_l("排名")), str(_l("单位")), str(_l("综合完成率（%）")), str(_l("信号灯"))]
    for label_unit in ((lab, unit) for _m, lab, unit in MEASURES.values()):
        lab, unit = label_unit
        head += [f"{lab}{_('目标')}（{unit}）", f"{lab}{_('实际')}（{unit}）", f"{lab}{_('完成率（%）')}"]
    head += [str(_l("省级资金分配（元）")), str(_l("资金使用率（%）"))]
    rows: list[list[Any]] = [head]
    for row in board.rows:
        line: list[Any] = [row.rank or "", row.org.name, row.score if row.score is not None else "",
                           str(LIGHT_LABELS[row.light])]
        for key in MEASURES:
            pct = row.percent(key)
            line += [row.target[key], row.actual[key], pct if pct is not None else ""]
        line += [row.allocated, row.fund_use if row.fund_use is not None else ""]
        rows.append(line)
    return rows
