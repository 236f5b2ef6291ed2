"""Funds pages (经费台账): a union's reconciliation for a year, for itself and every union below it, with its own
statement, the forms to record a top-up, hand money down and correct a top-up; the CSV/XLSX export; and the
province's overview by city with the yearly split by rule. Thin: pick the union and year, call the services,
commit once, render."""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts import scope
from app.accounts.models import OrgKind, User
from app.accounts.policy import can, is_admin
from app.extensions import db
from app.tabular import csv_bytes, xlsx_bytes
from app.web import current_user_or_none as user
from programme.admissions import plans, qrcodes
from programme.money import funds, reconciliation
from programme.web import acted, staff_bp, year_arg


def _me() -> User:
    """The signed-in user (the routes are behind login_required)."""
    me = user()
    if me is None:
        abort(403)
    return me


@staff_bp.get("/funds")
@login_required
def funds_home() -> ResponseReturnValue:
    """Straight to the first union whose ledger the signed-in staff may read (the province for an admin)."""
    me = _me()
    own = scope.orgs_of(me, action="report.view", kinds=(OrgKind.union,))
    if not own and is_admin(me):
        own = [plans.province(db.session)]
    if not own:
        abort(403)
    return redirect(url_for(".funds_unit", code=own[0].code))


@staff_bp.get("/funds/<code>")
@login_required
def funds_unit(code: str) -> str:
    org = qrcodes.union(db.session, code)
    plan = plans.chosen(db.session, year_arg())
    lines = reconciliation.reconcile(db.session, user(), plan, org)
    return render_template("programme/funds/unit.html", org=org, plan=plan, lines=lines, fen=funds.yuan,
                           entries=reconciliation.statement(db.session, user(), plan, org),
                           labels=reconciliation.KIND_LABELS, plans=plans.all_plans(db.session),
                           children=[c for c in lines[1:] if c.org.parent_id == org.id],
                           can_top_up=can(user(), "quota.top_up", org),
                           can_pass_down=can(user(), "quota.allocate", org),
                           can_overview=can(user(), "report.view", plans.province(db.session)))


def _back(code: str, year: int) -> ResponseReturnValue:
    return redirect(url_for(".funds_unit", code=code, year=year))


@staff_bp.post("/funds/<code>/top-up")
@login_required
def funds_top_up(code: str) -> ResponseReturnValue:
    org = qrcodes.union(db.session, code)
    plan = plans.chosen(db.session, year_arg())
    acted(lambda: funds.top_up(db.session, _me(), plan, org, request.form.get("amount", ""),
                               request.form.get("note", "")), _("配套资金已入账。"))
    return _back(code, plan.year)


@staff_bp.post("/funds/<code>/pass-down")
@login_required
def funds_pass_down(code: str) -> ResponseReturnValue:
    org = qrcodes.union(db.session, code)
    plan = plans.chosen(db.session, year_arg())
    acted(lambda: funds.pass_down_to(db.session, _me(), plan, org, request.form.get("child"),
                                     request.form.get("amount", ""), request.form.get("note", "")),
          _("经费已下拨。"))
    return _back(code, plan.year)


@staff_bp.post("/funds/entries/<int:entry_id>/adjust")
@login_required
def funds_adjust(entry_id: int) -> ResponseReturnValue:
    entry = funds.get_entry(db.session, entry_id)
    acted(lambda: funds.adjust(db.session, _me(), entry, request.form.get("amount", ""),
                               request.form.get("note", "")), _("已另记一笔调整。"))
    return _back(entry.org.code, entry.plan.year)


@staff_bp.get("/funds/<code>/reconciliation.<fmt>")
@login_required
def funds_file(code: str, fmt: str) -> Response:
    org = qrcodes.union(db.session, code)
    plan = plans.chosen(db.session, year_arg())
    rows = reconciliation.sheet(reconciliation.reconcile(db.session, user(), plan, org), plan)
    name = f"funds-{code}-{plan.year}"
    if fmt == "csv":
        return Response(csv_bytes(rows), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename={name}.csv"})
    if fmt != "xlsx":
        abort(404)
    return Response(xlsx_bytes(_("经费对账"), rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})


@staff_bp.get("/funds-overview")
@login_required
def funds_overview() -> str:
    plan = plans.chosen(db.session, year_arg())
    own, cities = reconciliation.overview(db.session, user(), plan)
    prov = plans.province(db.session)
    shares = reconciliation.preview(db.session, user(), plan) if can(user(), "quota.allocate", prov) else []
    return render_template("programme/funds/overview.html", plan=plan, own=own, cities=cities, shares=shares,
                           fen=funds.yuan, plans=plans.all_plans(db.session))


@staff_bp.post("/funds-overview/allocate")
@login_required
def funds_allocate() -> ResponseReturnValue:
    plan = plans.chosen(db.session, year_arg())
    acted(lambda: reconciliation.apply_rule(db.session, _me(), plan), _("已按名额和实际招生人数划拨到各市。"))
    return redirect(url_for(".funds_overview", year=plan.year))
