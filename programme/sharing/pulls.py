"""What the departments pull: applications (报读申请) and admissions (录取与学籍), a page at a time, filtered by
plan year, city (a city union's code: the applications of its counties) and `updated_since`.

Applications carry no "updated" column; every change of one stamps its own time (applied, verified, admitted,
closed) or opens its enrolment record, so "changed since T" is "any of those at or after T", and `updated_at`
is the latest of them. Rows come in id order, so a program pages through a stable list.

A department reads its own area only (programme/exchange/areas.py): the applications verified by the counties
of the union it sits under, so a city bureau never sees another city's people and their ID numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.accounts.models import Organisation, OrgKind, OrgLevel, User
from app.errors import Invalid
from app.pagination import Page, offset
from programme.admissions.models import Application, AppStatus, EnrolmentRecord, Offering, Plan
from programme.exchange import areas

ADMITTED = (AppStatus.admitted, AppStatus.enrolled)


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    city: Organisation | None = None
    updated_since: datetime | None = None  # UTC, naive (as stored)


def _bad(name: str, message: str) -> Invalid:
    return Invalid(_("参数 %(name)s 不正确。", name=name), code="bad_query", fields={name: message})


def parse_since(raw: str | None) -> datetime | None:
    """ISO 8601 (2026-05-01T08:00:00+08:00); without an offset it is UTC."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _bad("updated_since", _("应为 ISO 8601 时间，如 2026-05-01T08:00:00+08:00。")) from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def city_of(session: Session, code: str | None) -> Organisation | None:
    if not code:
        return None
    org = session.scalar(select(Organisation).where(Organisation.code == code.strip()))
    if org is None or org.kind != OrgKind.union or org.level != OrgLevel.city:
        raise _bad("city", _("应为设区市总工会的代码，如 330100。"))
    return org


def _query(filters: Filters, reader: Organisation, statuses: tuple[AppStatus, ...] = ()) -> Select[Application]:
    area = areas.area_of(reader)
    county = aliased(Organisation)
    query = (select(Application).join(Plan, Plan.id == Application.plan_id)
             .join(county, county.id == Application.county_id)
             .where(county.path.startswith(area.path) if area is not None else false()))
    if statuses:
        query = query.where(Application.status.in_(statuses))
    if filters.year is not None:
        query = query.where(Plan.year == filters.year)
    if filters.city is not None:
        query = query.where(county.path.startswith(filters.city.path))
    if (since := filters.updated_since) is not None:
        enrolled = select(EnrolmentRecord.application_id).where(EnrolmentRecord.created_at >= since)
        query = query.where(or_(Application.applied_at >= since, Application.verified_at >= since,
                                Application.admitted_at >= since, Application.closed_at >= since,
                                Application.id.in_(enrolled)))
    return query


def page(session: Session, filters: Filters, reader: Organisation, number: int, per_page: int, *,
         admitted_only: bool = False) -> Page[Application]:
    """One page of the applications in `reader`'s area (only the admitted and enrolled ones with `admitted_only`),
    by id; nothing for an organisation that is not a department."""
    query = _query(filters, reader, ADMITTED if admitted_only else ())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Application.id).offset(offset(number, per_page)).limit(per_page).options(
        selectinload(Application.user).selectinload(User.profile), selectinload(Application.enrolment),
        selectinload(Application.offering).selectinload(Offering.institution),
        selectinload(Application.county).selectinload(Organisation.parent), selectinload(Application.plan)))
    return Page(list(items), number, per_page, total)


def _stamp(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment is not None else None


def _org(org: Organisation | None) -> dict[str, str] | None:
    return {"code": org.code, "name": org.name} if org is not None else None


def as_json(item: Application) -> dict[str, Any]:
    """One application as the departments receive it: the person is named in full (the departments match
    their own records by ID number), which is why each read needs its own scope and is audited."""
    profile, enrolment = item.user.profile, item.enrolment
    moments = [m for m in (item.applied_at, item.verified_at, item.admitted_at, item.closed_at,
                           enrolment.created_at if enrolment else None) if m is not None]
    city = item.county.parent if item.county.level == OrgLevel.county else item.county
    return {
        "id": item.id, "year": item.plan.year, "status": item.status.value, "level": item.level,
        "person": {"name": (profile.real_name if profile and profile.real_name else item.user.name),
                   "id_number": profile.id_number if profile else None},
        "offering": {"id": item.offering.id, "kind": item.offering.kind.value, "major": item.offering.major,
                     "institution": _org(item.offering.institution)},
        "county": _org(item.county), "city": _org(city),
        "applied_at": _stamp(item.applied_at), "verified_at": _stamp(item.verified_at),
        "admitted_at": _stamp(item.admitted_at), "closed_at": _stamp(item.closed_at),
        "updated_at": _stamp(max(moments)),
        "enrolment": None if enrolment is None else {
            "student_number": enrolment.student_number, "enrolled_on": enrolment.enrolled_on.isoformat(),
            "graduated_on": enrolment.graduated_on.isoformat() if enrolment.graduated_on else None},
    }
