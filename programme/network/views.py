"""Pages of the service network: the public map list of stations, points, teaching points and exam points by city
or county (a signed-in worker starts at their own; nearest first when the phone gives its position), and for union,
enterprise and institution staff the list of theirs with forms to add, edit, close and reopen. Thin."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import organisations
from app.accounts.models import Organisation, OrgLevel
from app.errors import NotFound
from app.extensions import db
from app.web import chosen_org, commit_or_show
from app.web import current_user_or_none as user
from app.web import current_user_required as me_required
from programme.network import points
from programme.network.models import HOSTED_KINDS, UNION_KINDS, PointKind, ServicePoint
from programme.network.points import PointInput
from programme.web import acted, bp, staff_bp


def _area() -> Organisation | None:
    """The city or county asked for (?area=code), else the signed-in worker's own; None means everywhere."""
    code = request.args.get("area")
    if code == "all":
        return None
    if code:
        try:
            return organisations.get_by_code(db.session, code)
        except NotFound:
            return None
    return points.home_area(user())


# the list's kind filter (?kind=): the unions' stations and points, teaching points, exam points
KIND_FILTERS: dict[str, tuple[PointKind, ...]] = {"service": UNION_KINDS, "teaching": (PointKind.teaching,),
                                                  "exam": (PointKind.exam,)}


def _position() -> tuple[float | None, float | None]:
    """Where the phone said it is (?lat=&lng=, put there by network.js); None when absent or not numbers."""
    try:
        return float(request.args["lat"]), float(request.args["lng"])
    except (KeyError, ValueError):
        return None, None


@bp.get("/service-points")
def service_points() -> ResponseReturnValue:
    area = _area()
    kind = request.args.get("kind", "service")
    kind = kind if kind in KIND_FILTERS else "service"
    lat, lng = _position()
    city = area.parent if area is not None and area.level == OrgLevel.county else area
    rows = points.near(db.session, area, KIND_FILTERS[kind], lat, lng)
    return render_template("programme/network/list.html", rows=rows, area=area, city=city, kind=kind,
                           cities=points.cities(db.session), by_distance=lat is not None and lng is not None)


def _input() -> PointInput:
    form = request.form
    return PointInput(**{key: form.get(key, "") for key in (
        "name", "address", "hours", "phone", "services", "contact", "capacity", "latitude", "longitude", "kind",
        "area")})


def _form_context() -> dict[str, object]:
    return {"areas": points.areas(db.session), "hosted_kinds": HOSTED_KINDS}


@staff_bp.route("/service-points/manage", methods=["GET", "POST"])
@login_required
def service_points_manage() -> ResponseReturnValue:
    me, errors, status = me_required(), {}, 200
    unions = points.unions_to_manage(db.session, me)
    if request.method == "POST" and unions:
        made, failed_fields = commit_or_show(lambda: points.create(db.session, me, chosen_org(unions), _input()))
        if failed_fields is None and made is not None:
            flash(_("已登记“%(name)s”。", name=made.name), "success")
            return redirect(url_for(".service_points_manage"))
        errors, status = failed_fields or {}, 400
    return render_template("programme/network/manage.html", items=points.managed(db.session, me), unions=unions,
                           errors=errors, form=request.form if request.method == "POST" else {},
                           **_form_context()), status


@staff_bp.route("/service-points/<int:point_id>/edit", methods=["GET", "POST"])
@login_required
def service_point_edit(point_id: int) -> ResponseReturnValue:
    me, errors, status = me_required(), {}, 200
    point = points.for_manager(db.session, me, point_id)
    if request.method == "POST":
        _made, failed_fields = commit_or_show(lambda: points.update(db.session, me, point, _input()))
        if failed_fields is None:
            flash(_("已保存。"), "success")
            return redirect(url_for(".service_points_manage"))
        errors, status = failed_fields, 400
    form = request.form if request.method == "POST" else _values(point)
    return render_template("programme/network/edit.html", point=point, errors=errors, form=form,
                           **_form_context()), status


def _values(point: ServicePoint) -> dict[str, str]:
    def text(value: object) -> str:
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    return {"name": point.name, "address": point.address, "hours": point.hours, "phone": point.phone,
            "services": point.services, "contact": point.contact, "capacity": text(point.capacity),
            "latitude": text(point.latitude), "longitude": text(point.longitude), "kind": point.kind.value,
            "area": point.area.code}


@staff_bp.post("/service-points/<int:point_id>/active")
@login_required
def service_point_active(point_id: int) -> ResponseReturnValue:
    point = points.get(db.session, point_id)
    active = request.form.get("active") == "1"
    message = _("已重新开放。") if active else _("已关闭。")
    acted(lambda: points.set_active(db.session, me_required(), point, active), message)
    return redirect(url_for(".service_points_manage"))
