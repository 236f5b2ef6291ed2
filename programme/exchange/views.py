"""The data exchange page: institutions and the HR department upload CSV or XLSX files of admission, graduation
and certificate results, and download the templates. Thin: read the upload, call the service, commit once."""

from __future__ import annotations

from flask import Response, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.tabular import TableLimits
from app.web import chosen_org, current_user_or_none, settle_import, show_invalid, uploaded_file
from programme.exchange import imports as exchange
from programme.exchange.models import ExchangeKind
from programme.web import support_bp


@support_bp.route("/exchange", methods=["GET", "POST"])
@login_required
def exchange_page() -> ResponseReturnValue:
    user, report, status = current_user_or_none(), None, 200
    orgs = exchange.senders_for(db.session, user)
    if not orgs:
        raise Forbidden(_("只有院校和人力社保部门的工作人员可以导入交换数据。"))
    if request.method == "POST":
        data, filename = uploaded_file()
        try:
            report = exchange.import_file(
                db.session, user, chosen_org(orgs), request.form.get("kind", ""), data, filename,
                valid_only=bool(request.form.get("valid_only")), limits=TableLimits.from_config(current_app.config))
        except Invalid as err:
            show_invalid(err)
            status = 400
        else:
            if not settle_import(report.imported, _("已导入%(n)d条记录。", n=report.imported)):
                status = 400
            elif not report.errors:
                return redirect(url_for(".exchange_page"))
    return render_template("programme/exchange/import.html", orgs=orgs, report=report, specs=exchange.SPECS,
                           kinds={o.code: exchange.kinds_for(o) for o in orgs},
                           batches=exchange.batches(db.session, orgs)), status


@support_bp.get("/exchange/template/<kind>.csv")
@login_required
def exchange_template(kind: str) -> Response:
    try:
        chosen = ExchangeKind(kind)
        body = exchange.template_csv(chosen)
    except (ValueError, KeyError):
        raise NotFound(_("没有这种数据模板。")) from None
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={kind}.csv"})
