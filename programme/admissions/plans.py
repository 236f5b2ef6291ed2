"""Opening a programme year (年度计划): the province union sets the notice date, the target of funded
places, the budget, subsidy standards and the application window. Opening a plan also gives the
province union its quota row, from which everything below is handed out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from app import events
from app.accounts.models import Organisation, OrgKind, OrgLevel, Role, User
from app.accounts.policy import is_admin, orgs_for, require
from app.errors import Conflict, Invalid, NotFound
from app.timefmt import beijing_today
from programme.admissions.models import Attainment, Plan, PlanChange, Quota, QuotaChange

STANDARD_FIELDS = tuple(f"std_{a.value}" for a in Attainment)


@dataclass
class PlanInput:
    year: int
    notice_date: date
    opens_on: date
    closes_on: date
    target_places: int = 10_000
    budget_yuan: int = 10_000_000
    standards: dict[str, int] | None = None  # std_dazhuan ... std_senior_technician; model defaults otherwise


def province(session: Session) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.kind == OrgKind.union,
                                                    Organisation.level == OrgLevel.province))
    if org is None:
        raise NotFound(_("还没有省总工会。"))
    return org


def staff_unions(session: Session, actor: User) -> list[Organisation]:
    """The unions whose queues (verification, subsidies, notices) the actor works: their own as union staff;
    an admin without one works the province's."""
    own = orgs_for(actor, Role.union_staff)
    if is_admin(actor):
        own = own or [province(session)]
    return [o for o in own if o.kind == OrgKind.union]


# Upper bounds, checked before anything reaches the database: the columns are 32-bit INTEGER (PostgreSQL ends at
# 2,147,483,647 and answers a bigger number with an error, SQLite would store it), and each bound is far above
# any real plan yet small enough that sums of it stay in range.
FIRST_YEAR = 2000  # earlier years' plans are entered to keep the programme's history
MAX_PLACES = 1_000_000  # a province funds some tens of thousands of places a year
MAX_BUDGET_YUAN = 2_000_000_000  # 20亿元 a year; in fen (the funds ledger) it still fits its BIGINT
MAX_STANDARD_YUAN = 100_000  # one person's subsidy: the standards are about 1,000 yuan, below a course's tuition
LIMITS = {"target_places": MAX_PLACES, "budget_yuan": MAX_BUDGET_YUAN,
          **dict.fromkeys(STANDARD_FIELDS, MAX_STANDARD_YUAN)}


def last_year(today: date | None = None) -> int:
    """A plan is opened for this year or, once its notice is drafted, the next (Beijing's calendar)."""
    return (today or beijing_today()).year + 1


def _too_big(name: str, value: int, errors: dict[str, str]) -> None:
    if value > LIMITS[name]:
        errors[name] = _("数额过大，不能超过 %(n)d。", n=LIMITS[name])


def _validate(data: PlanInput) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not FIRST_YEAR <= data.year <= last_year():
        errors["year"] = _("年度应在%(a)d至%(b)d之间。", a=FIRST_YEAR, b=last_year())
    if data.target_places <= 0:
        errors["target_places"] = _("资助名额应为正整数。")
    else:
        _too_big("target_places", data.target_places, errors)
    if data.budget_yuan < 0:
        errors["budget_yuan"] = _("预算不能为负数。")
    else:
        _too_big("budget_yuan", data.budget_yuan, errors)
    if data.closes_on < data.opens_on:
        errors["closes_on"] = _("截止日期不能早于开始日期。")
    for name, value in (data.standards or {}).items():
        if name not in STANDARD_FIELDS:
            errors[name] = _("未知的补贴标准。")
        elif value < 0:
            errors[name] = _("补贴标准不能为负数。")
        else:
            _too_big(name, value, errors)
    return errors


def open_plan(session: Session, actor: User, data: PlanInput) -> Plan:
    """Validate everything, then create the year and the province's quota row holding all of it."""
    prov = province(session)
    require(actor, "plan.manage", prov)
    errors = _validate(data)
    if errors:
        raise Invalid(_("年度计划有误，请按提示修改。"), fields=errors)
    if session.scalar(select(Plan.id).where(Plan.year == data.year)):
        raise Conflict(_("%(y)d 年度计划已存在。", y=data.year), code="plan_exists", fields={"year": _("已存在")})
    plan = Plan(year=data.year, notice_date=data.notice_date, opens_on=data.opens_on, closes_on=data.closes_on,
                target_places=data.target_places, budget_yuan=data.budget_yuan, created_by_id=actor.id,
                **(data.standards or {}))
    session.add(plan)
    session.flush()
    session.add(Quota(plan_id=plan.id, org_id=prov.id, places=plan.target_places, budget_yuan=plan.budget_yuan,
                      handed_out=0, used=0, budget_handed_out=0, spent=0, top_up_yuan=0))
    session.flush()
    events.announce(session, events.PLAN_OPENED, plan.id, durable=False)  # the funds ledger receives the budget
    return plan


EDITABLE_NUMBERS = ("target_places", "budget_yuan", *STANDARD_FIELDS)
EDITABLE_DATES = ("opens_on", "closes_on")


def _whole(raw: Any, name: str, errors: dict[str, str]) -> int | None:
    """A whole number from a form (text) or from code (int); None with a message in `errors` otherwise."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        try:
            value = int(text)
        except ValueError:
            errors[name] = _("请填写整数（阿拉伯数字），不要带单位或小数点。") if text else _("请填写此项。")
            return None
    if name == "target_places" and value <= 0:
        errors[name] = _("资助名额应为正整数。")
    elif value < 0:
        errors[name] = _("预算不能为负数。") if name == "budget_yuan" else _("补贴标准不能为负数。")
    else:
        _too_big(name, value, errors)  # the same bounds as opening the plan
    return value if name not in errors else None


def _day(raw: Any, name: str, errors: dict[str, str]) -> date | None:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw if raw is not None else "").strip())
    except ValueError:
        errors[name] = _("请填写日期（年-月-日）。")
        return None


def _check_edit(session: Session, plan: Plan, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Every editable field given in `values`, parsed and checked together; unknown keys are ignored."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {k: _whole(values[k], k, errors) for k in EDITABLE_NUMBERS if k in values}
    parsed.update({k: _day(values[k], k, errors) for k in EDITABLE_DATES if k in values})
    opens, closes = parsed.get("opens_on", plan.opens_on), parsed.get("closes_on", plan.closes_on)
    if opens and closes and closes < opens:
        errors["closes_on"] = _("截止日期不能早于开始日期。")
    held = session.scalar(select(Quota).where(Quota.plan_id == plan.id, Quota.org_id == province(session).id))
    if held is not None:
        if parsed.get("target_places") and parsed["target_places"] < held.handed_out + held.used:
            errors["target_places"] = _("已向各市分配 %(n)d 个名额，资助名额不能少于此数。",
                                        n=held.handed_out + held.used)
        if parsed.get("budget_yuan") is not None and parsed["budget_yuan"] < held.budget_handed_out + held.spent:
            errors["budget_yuan"] = _("已下拨或支出 %(n)d 元，预算不能少于此数。",
                                      n=held.budget_handed_out + held.spent)
    return parsed, errors


def _resize_province(session: Session, actor: User, plan: Plan, places: int, budget: int) -> None:
    """The province's quota row holds the whole plan: it follows the new totals, unless what it has passed on
    grew meanwhile (re-checked inside the UPDATE, as quotas.allocate does); the change joins the quota history."""
    row = session.scalar(select(Quota).where(Quota.plan_id == plan.id, Quota.org_id == province(session).id))
    if row is None or (row.places, row.budget_yuan) == (places, budget):
        return
    before = (row.places, row.budget_yuan)
    moved = cast(CursorResult[Any], session.execute(update(Quota).where(
        Quota.id == row.id, Quota.handed_out + Quota.used <= places, Quota.budget_handed_out + Quota.spent <= budget,
    ).values(places=places, budget_yuan=budget).execution_options(synchronize_session=False))).rowcount
    if moved != 1:
        raise Conflict(_("各市名额或资金刚被修改，新的总数已不够分配，请刷新后重试。"), code="quota_in_use")
    change = QuotaChange(quota_id=row.id, actor_id=actor.id, places_before=before[0], places_after=places,
                         budget_before=before[1], budget_after=budget)
    session.add(change)
    session.flush()
    events.announce(session, events.QUOTA_CHANGED, change.id, durable=False)
    session.refresh(row)


def update_plan(session: Session, actor: User, plan: Plan, values: dict[str, Any]) -> list[PlanChange]:
    """Change an opened year's places, budget, subsidy standards or window. Every field is checked first
    (Invalid with a message per field, nothing changed); then each changed field leaves a PlanChange.
    Standards apply to claims approved from now on; amounts already approved stay as they were."""
    require(actor, "plan.manage", province(session))
    parsed, errors = _check_edit(session, plan, values)
    if errors:
        raise Invalid(_("年度计划有误，请按提示修改。"), fields=errors)
    changes = [PlanChange(plan_id=plan.id, actor_id=actor.id, field=k, before=str(getattr(plan, k)), after=str(v))
               for k, v in parsed.items() if getattr(plan, k) != v]
    if not changes:
        return []
    # The province's row first: when it refuses (Conflict) nothing has changed yet and the caller rolls back.
    _resize_province(session, actor, plan, parsed.get("target_places", plan.target_places),
                     parsed.get("budget_yuan", plan.budget_yuan))
    for key, value in parsed.items():
        setattr(plan, key, value)
    session.add_all(changes)
    session.flush()
    return changes


def plan_history(session: Session, plan: Plan) -> list[PlanChange]:
    return list(session.scalars(select(PlanChange).where(PlanChange.plan_id == plan.id)
                                .order_by(PlanChange.id.desc())))


def get_plan(session: Session, year: int) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.year == year))
    if plan is None:
        raise NotFound(_("没有 %(y)d 年度计划。", y=year))
    return plan


def chosen(session: Session, year: int | None) -> Plan:
    """The plan of `year` (a page's `?year=`), or the current one."""
    plan = get_plan(session, year) if year else current_plan(session)
    if plan is None:
        raise NotFound(_("还没有年度计划。"))
    return plan


def current_plan(session: Session, today: date | None = None) -> Plan | None:
    """This year's plan if there is one, else the latest."""
    today = today or beijing_today()
    return (session.scalar(select(Plan).where(Plan.year == today.year))
            or session.scalar(select(Plan).order_by(Plan.year.desc()).limit(1)))


def all_plans(session: Session) -> list[Plan]:
    return list(session.scalars(select(Plan).order_by(Plan.year.desc())))
