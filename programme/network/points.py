"""Service stations and points: a city union registers its 市级农民工教育服务站, a county union its 县级教育服务点
(address, opening hours, phone, services offered); its staff and the unions above edit or close them. Workers list
the open ones by city or county, and see the nearest to them: their county's, else their city's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.accounts import scope
from app.accounts.models import Organisation, OrgKind, OrgLevel, User
from app.accounts.policy import is_admin, require
from app.errors import Invalid, NotFound
from app.sanitize import clean_text
from programme.network.models import PointKind, ServicePoint

LIMITS = {"name": 100, "address": 200, "hours": 100, "phone": 30, "services": 2000}


@dataclass(frozen=True)
class PointInput:
    name: str
    address: str
    hours: str
    phone: str
    services: str = ""


def _clean(data: PointInput) -> dict[str, str]:
    values = {key: clean_text(getattr(data, key)) for key in LIMITS}
    values["services"] = "\n".join(line.strip() for line in values["services"].splitlines() if line.strip())
    errors: dict[str, str] = {}
    for key in ("name", "address", "hours", "phone"):
        if not values[key]:
            errors[key] = _("请填写此项。")
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            errors[key] = _("最多%(n)d字。", n=limit)
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    return values


def kind_for(org: Organisation) -> PointKind:
    return PointKind.station if org.level == OrgLevel.city else PointKind.point


def create(session: Session, actor: Any, org: Organisation, data: PointInput) -> ServicePoint:
    """Register a station (city union) or point (county union); only that union's staff and those above."""
    require(actor, "service_point.manage", org)
    point = ServicePoint(org=org, kind=kind_for(org), **_clean(data))
    session.add(point)
    session.flush()
    audit.record(session, actor, "service_point.create", "service_point", point.id, org_id=org.id, name=point.name)
    return point


def update(session: Session, actor: Any, point: ServicePoint, data: PointInput) -> ServicePoint:
    require(actor, "service_point.manage", point.org)
    for key, value in _clean(data).items():
        setattr(point, key, value)
    session.flush()
    audit.record(session, actor, "service_point.update", "service_point", point.id, org_id=point.org_id)
    return point


def set_active(session: Session, actor: Any, point: ServicePoint, active: bool) -> ServicePoint:
    """Close (hidden from workers, kept) or reopen."""
    require(actor, "service_point.manage", point.org)
    point.active = active
    session.flush()
    audit.record(session, actor, "service_point.open" if active else "service_point.close", "service_point",
                 point.id, org_id=point.org_id)
    return point


def get(session: Session, point_id: int) -> ServicePoint:
    point = session.get(ServicePoint, point_id)
    if point is None:
        raise NotFound(_("没有找到这个服务站（点）。"))
    return point


def for_manager(session: Session, actor: Any, point_id: int) -> ServicePoint:
    """A point for its edit form: only those who may manage it see the form."""
    point = get(session, point_id)
    require(actor, "service_point.manage", point.org)
    return point


def managed(session: Session, actor: User) -> list[ServicePoint]:
    """The stations and points of the actor's unions and every union below them, closed ones included."""
    query = select(ServicePoint).join(ServicePoint.org)
    if not is_admin(actor):
        own = scope.below_own_unions(actor)
        if own is None:
            return []
        query = query.where(own)
    return list(session.scalars(query.order_by(Organisation.code, ServicePoint.name, ServicePoint.id)))


def unions_to_manage(session: Session, actor: User) -> list[Organisation]:
    """The city and county unions the actor may register points for (for the form's choice)."""
    query = select(Organisation).where(Organisation.kind == OrgKind.union,
                                       Organisation.level.in_((OrgLevel.city, OrgLevel.county)))
    if not is_admin(actor):
        own = scope.below_own_unions(actor)
        if own is None:
            return []
        query = query.where(own)
    return list(session.scalars(query.order_by(Organisation.code)))


def cities(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(
        Organisation.kind == OrgKind.union, Organisation.level == OrgLevel.city).order_by(Organisation.code)))


def listing(session: Session, area: Organisation | None) -> list[ServicePoint]:
    """Open stations and points in `area` (a city: its station and its counties' points; a county: its own and
    its city's station), or all of them; the county's own first, then the city's."""
    query = select(ServicePoint).join(ServicePoint.org).where(ServicePoint.active.is_(True))
    if area is not None:
        city = area if area.level != OrgLevel.county or area.parent is None else area.parent
        if area.level == OrgLevel.county:
            query = query.where(ServicePoint.org_id.in_((area.id, city.id)))
        else:
            query = query.where(Organisation.path.startswith(city.path))
    rows = session.scalars(query.order_by(Organisation.code, ServicePoint.name, ServicePoint.id))
    return sorted(rows, key=lambda p: (p.kind != PointKind.point or area is None or p.org_id != area.id,
                                       p.org.code, p.name))


def home_area(user: User | None) -> Organisation | None:
    """The worker's county (or city) union, from the union on their profile; a township counts as its county."""
    union = user.profile.union if user is not None and user.profile is not None else None
    while union is not None and union.level == OrgLevel.township:
        union = union.parent
    return union if union is not None and union.level in (OrgLevel.city, OrgLevel.county) else None


def nearest(session: Session, user: User | None) -> ServicePoint | None:
    """The open point of the worker's county, else their city's station (or any open point in that city)."""
    area = home_area(user)
    if area is None:
        return None
    rows = listing(session, area)
    return rows[0] if rows else None
