"""Service stations and points: a city union registers its 市级农民工教育服务站, a county union its 县级教育服务点
(address, opening hours, phone, services offered); an enterprise or institution its 教学点 and 考试点 (also contact
and capacity) in the county where they are; their staff (for unions: and the unions above) edit or close them.
Workers list the open ones by city or county (sorted by distance when the phone tells where it is), and see the
nearest station or point to them: their county's, else their city's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app import audit
from app.accounts import scope
from app.accounts.models import Organisation, OrgKind, OrgLevel, User
from app.accounts.policy import can, is_admin, require
from app.errors import Invalid, NotFound
from app.sanitize import clean_text
from programme.network.distance import by_distance, valid_position
from programme.network.models import HOSTED_KINDS, UNION_KINDS, PointKind, ServicePoint

LIMITS = {"name": 100, "address": 200, "hours": 100, "phone": 30, "contact": 50, "services": 2000}
MAX_CAPACITY = 100_000


@dataclass(frozen=True)
class PointInput:
    name: str
    address: str
    hours: str
    phone: str
    services: str = ""
    contact: str = ""
    capacity: str = ""  # digits, or "" for unsaid
    latitude: str = ""  # decimal degrees, both or neither
    longitude: str = ""
    kind: str = ""  # teaching or exam, for an enterprise's or institution's point; a union's follows its level
    area: str = ""  # the code of the city or county union where an enterprise's point is; "" = the owner's own


def _number(raw: str, kind: type[int] | type[float]) -> int | float | None:
    raw = clean_text(raw)
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        return float("nan")


def _clean(data: PointInput) -> tuple[dict[str, Any], dict[str, str]]:
    """The cleaned values and every field's problem, all at once."""
    values: dict[str, Any] = {key: clean_text(getattr(data, key)) for key in LIMITS}
    values["services"] = "\n".join(line.strip() for line in values["services"].splitlines() if line.strip())
    errors = {key: _("请填写此项。") for key in ("name", "address", "hours", "phone") if not values[key]}
    errors |= {key: _("最多%(n)d字。", n=limit) for key, limit in LIMITS.items() if len(values[key]) > limit}
    capacity = _number(data.capacity, int)
    if capacity is not None and not (isinstance(capacity, int) and 0 < capacity <= MAX_CAPACITY):
        errors["capacity"] = _("请填写1到%(n)d之间的整数。", n=MAX_CAPACITY)
    lat, lng = _number(data.latitude, float), _number(data.longitude, float)
    if (lat, lng) != (None, None) and not valid_position(lat, lng):
        errors["latitude"] = _("请同时填写纬度（-90到90）和经度（-180到180），或都不填。")
    values.update(capacity=capacity, latitude=lat, longitude=lng)
    return values, errors


def kind_for(org: Organisation) -> PointKind:
    return PointKind.station if org.level == OrgLevel.city else PointKind.point


def is_union_area(org: Organisation | None) -> bool:
    return org is not None and org.kind == OrgKind.union and org.level in (OrgLevel.city, OrgLevel.county)


def default_area(org: Organisation) -> Organisation | None:
    """The city or county union an organisation sits under (itself for such a union)."""
    found: Organisation | None = org
    while found is not None and not is_union_area(found):
        found = found.parent
    return found


def _placed(session: Session, owner: Organisation, data: PointInput, errors: dict[str, str]) -> dict[str, Any]:
    """The kind and area of a new or edited point: a union's follow from it; an enterprise's or institution's are
    chosen (teaching or exam; a city or county union's area, else the one above the owner)."""
    if owner.kind == OrgKind.union:
        return {"kind": kind_for(owner), "area": owner}
    kind = data.kind if data.kind in {k.value for k in HOSTED_KINDS} else None
    if kind is None:
        errors["kind"] = _("请选择教学点或考试点。")
    area = session.scalar(select(Organisation).where(Organisation.code == data.area)) if data.area else (
        default_area(owner))
    if not is_union_area(area):
        errors["area"] = _("请选择所在的市或县（市、区）。")
    return {"kind": PointKind(kind) if kind else None, "area": area}


def _validated(session: Session, owner: Organisation, data: PointInput) -> dict[str, Any]:
    values, errors = _clean(data)
    values |= _placed(session, owner, data, errors)
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    return values


def create(session: Session, actor: Any, org: Organisation, data: PointInput) -> ServicePoint:
    """Register a station (city union), point (county union), or teaching or exam point (an enterprise or an
    institution); only the owner's staff (a union's: and those above)."""
    require(actor, "service_point.manage", org)
    point = ServicePoint(org=org, **_validated(session, org, data))
    session.add(point)
    session.flush()
    audit.record(session, actor, "service_point.create", "service_point", point.id, org_id=org.id, name=point.name)
    return point


def update(session: Session, actor: Any, point: ServicePoint, data: PointInput) -> ServicePoint:
    require(actor, "service_point.manage", point.org)
    for key, value in _validated(session, point.org, data).items():
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


def _own_condition(actor: User) -> Any:
    """Condition on `Organisation`: the actor's unions and those below, and their own enterprises and institutions
    that may host points; None when they have neither."""
    hosts = [o.id for o in scope.orgs_of(actor, action="service_point.manage",
                                          kinds=(OrgKind.enterprise, OrgKind.institution))]
    unions = scope.below_own_unions(actor)
    parts = [c for c in (unions, Organisation.id.in_(hosts) if hosts else None) if c is not None]
    return or_(*parts) if parts else None


def managed(session: Session, actor: User) -> list[ServicePoint]:
    """The points of the actor's unions and every union below them, and of their own enterprise or institution,
    closed ones included."""
    query = select(ServicePoint).join(ServicePoint.org)
    if not is_admin(actor):
        own = _own_condition(actor)
        if own is None:
            return []
        query = query.where(own)
    return list(session.scalars(query.order_by(Organisation.code, ServicePoint.name, ServicePoint.id)))


def unions_to_manage(session: Session, actor: User) -> list[Organisation]:
    """The organisations the actor may register points for (for the form's choice): city and county unions, and
    their own enterprises and institutions."""
    query = select(Organisation).where(or_(
        Organisation.kind.in_((OrgKind.enterprise, OrgKind.institution)),
        (Organisation.kind == OrgKind.union) & Organisation.level.in_((OrgLevel.city, OrgLevel.county))))
    if not is_admin(actor):
        own = _own_condition(actor)
        if own is None:
            return []
        query = query.where(own)
    return [o for o in session.scalars(query.order_by(Organisation.code)) if can(actor, "service_point.manage", o)]


def areas(session: Session) -> list[Organisation]:
    """Every city union and its county unions, city first (the area choice of an enterprise's point)."""
    return list(session.scalars(select(Organisation).where(
        Organisation.kind == OrgKind.union, Organisation.level.in_((OrgLevel.city, OrgLevel.county)))
        .order_by(Organisation.path)))


def cities(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(
        Organisation.kind == OrgKind.union, Organisation.level == OrgLevel.city).order_by(Organisation.code)))


def listing(session: Session, area: Organisation | None,
            kinds: tuple[PointKind, ...] = UNION_KINDS) -> list[ServicePoint]:
    """Open points of `kinds` in `area` (a city: the city's and its counties'; a county: its own and its city's),
    or all of them; the county's own first, then the city's."""
    query = (select(ServicePoint).join(ServicePoint.area)
             .where(ServicePoint.active.is_(True), ServicePoint.kind.in_(kinds)))
    if area is not None:
        city = area if area.level != OrgLevel.county or area.parent is None else area.parent
        if area.level == OrgLevel.county:
            query = query.where(ServicePoint.area_id.in_((area.id, city.id)))
        else:
            query = query.where(Organisation.path.startswith(city.path))
    rows = session.scalars(query.order_by(Organisation.code, ServicePoint.name, ServicePoint.id))
    return sorted(rows, key=lambda p: (area is None or p.area_id != area.id, p.area.code,
                                       p.kind != PointKind.point, p.name))


def near(session: Session, area: Organisation | None, kinds: tuple[PointKind, ...], lat: float | None,
         lng: float | None) -> list[tuple[ServicePoint, float | None]]:
    """The map list: `listing`, each with its distance in km from where the phone is (nearest first) when it gave
    a position, else None."""
    rows = listing(session, area, kinds)
    if lat is None or lng is None or not valid_position(lat, lng):
        return [(p, None) for p in rows]
    return by_distance(rows, lat, lng)


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
