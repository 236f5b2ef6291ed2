"""Pages of the programme's support services: enquiries and the policy page, surveys and teaching
quality, recruitment QR codes, data exchange and reports. Thin: read the request, call a service, commit
once, render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts import organisations
from app.accounts.masking import mask_name
from app.accounts.models import Organisation, OrgKind
from app.accounts.policy import can, is_admin, require
from app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooManyRequests
from app.extensions import db
from app.tabular import TableLimits
from programme import attribution, charts, enquiries, exchange, objections, qrcodes, reports, surveys

bp = Blueprint("programme_support", __name__, template_folder="templates")


def _user() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None  # type: ignore[attr-defined]


def _invalid(err: DomainError) -> dict[str, str]:
    db.session.rollback()
    flash(err.message, "error")
    return err.fields


@bp.before_app_request
def _remember_via() -> None:
    """A visit through a recruitment QR code (?via=<union code>) is remembered until the visitor registers."""
    if "via" in request.args and not current_user.is_authenticated:
        attribution.remember(session, request.args.get("via"))


@bp.app_context_processor
def _badges() -> dict[str, Any]:
    def enquiry_unread() -> int:  # called by the templates that show it, so other pages pay nothing
        user = _user()
        return enquiries.unread_count(db.session, user) if user is not None else 0

    def support_links() -> list[tuple[str, str]]:
        """The staff pages of this blueprint the user has work on, for the /me menu."""
        user = _user()
        if user is None:
            return []
        roles = {m.role.value for m in user.memberships}
        links = [(url_for("programme_support.survey_mine"), _("评价课程")),
                 (url_for("programme_support.policy"), _("政策与常见问题"))]
        if news := objections.unread_count(db.session, user):  # a union answered one of the user's objections
            links.insert(0, (url_for("programme.my_objections"), _("我的公示异议（%(n)d条新回复）", n=news)))
        if roles & {"union_staff", "admin"}:
            links += [(url_for("programme_support.enquiry_inbox"), _("咨询回复")),
                      (url_for("programme_support.qr_list"), _("招募二维码")),
                      (url_for("programme_support.reports_home"), _("统计报表"))]
        if roles & {"institution_staff", "admin"} or _exchange_orgs(user):
            links.append((url_for("programme_support.exchange_page"), _("数据交换")))
        return links
    return {"enquiry_unread": enquiry_unread, "support_links": support_links}


# -- enquiries -------------------------------------------------------------------------------------------
@bp.route("/enquiries", methods=["GET", "POST"])
@login_required
def enquiry_list():
    user, errors, status, headers = _user(), {}, 200, {}
    if request.method == "POST":
        try:
            enquiry = enquiries.ask(
                db.session, user, subject=request.form.get("subject", ""), question=request.form.get("question", ""),
                level=request.form.get("level", ""), max_count=current_app.config["ENQUIRY_MAX_PER_WINDOW"],
                window=timedelta(minutes=current_app.config["ENQUIRY_WINDOW_MINUTES"]))
        except Invalid as err:
            errors, status = _invalid(err), 400
        except TooManyRequests as err:  # keep what was typed on the page; the header says when to retry
            _invalid(err)
            status, headers["Retry-After"] = 429, str(err.retry_after)
        else:
            db.session.commit()
            flash(_("已提交给%(org)s，回复后会在“我的咨询”中提示您。", org=enquiry.org.name), "success")
            return redirect(url_for(".enquiry_show", enquiry_id=enquiry.id))
    return render_template("programme/enquiries/list.html", items=enquiries.mine(db.session, user), errors=errors,
                           form=request.form, levels=enquiries.LEVELS), status, headers


@bp.route("/enquiries/<int:enquiry_id>", methods=["GET", "POST"])
@login_required
def enquiry_show(enquiry_id: int):
    user, errors, status = _user(), {}, 200
    enquiry = enquiries.get(db.session, user, enquiry_id)
    if request.method == "POST":
        try:
            enquiries.answer(db.session, user, enquiry, request.form.get("answer", ""))
        except Invalid as err:
            errors, status = _invalid(err), 400
        else:
            db.session.commit()
            flash(_("回复已发送。"), "success")
            return redirect(url_for(".enquiry_inbox"))
    elif enquiry.asker_id == user.id and not enquiry.answer_seen:
        enquiries.mark_seen(db.session, user, enquiry)
        db.session.commit()
    return render_template("programme/enquiries/show.html", enquiry=enquiry, errors=errors,
                           can_answer=can(user, "enquiry.answer", enquiry), asker=mask_name(enquiry.asker.name)), status


@bp.get("/enquiries/inbox")
@login_required
def enquiry_inbox():
    status = request.args.get("status", "open")
    page = request.args.get("page", 1, type=int) or 1
    items, total = enquiries.inbox(db.session, _user(), status=status, page=page)
    return render_template("programme/enquiries/inbox.html", items=items, total=total, status=status, page=page,
                           pages=max(1, -(-total // enquiries.PAGE_SIZE)), mask_name=mask_name)


@bp.get("/policy")
def policy():
    return render_template("programme/faq/show.html", page=enquiries.policy_page(db.session),
                           can_edit=can(_user(), "policy.edit", enquiries.province_union(db.session)))


@bp.route("/policy/edit", methods=["GET", "POST"])
@login_required
def policy_edit():
    user, errors, status = _user(), {}, 200
    page = enquiries.policy_page(db.session)
    require(user, "policy.edit", enquiries.province_union(db.session))
    form = request.form if request.method == "POST" else {
        "title": page.title if page else _("政策与常见问题"), "body": page.body_html if page else ""}
    if request.method == "POST":
        try:
            enquiries.save_policy_page(db.session, user, title=form.get("title", ""), body=form.get("body", ""))
        except Invalid as err:
            errors, status = _invalid(err), 400
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for(".policy"))
    return render_template("programme/faq/edit.html", form=form, errors=errors), status


# -- surveys ---------------------------------------------------------------------------------------------
@bp.route("/surveys/<kind>/<int:target_id>", methods=["GET", "POST"])
def survey(kind: str, target_id: int):
    user, errors, status = _user(), {}, 200
    found = surveys.target(db.session, kind, target_id)
    if request.method == "POST":
        if user is None:
            return redirect(url_for("auth.login", next=request.path))
        try:
            surveys.respond(db.session, user, found, satisfaction=request.form.get("satisfaction"),
                            teaching=request.form.get("teaching"), comment=request.form.get("comment", ""),
                            as_employer=bool(request.form.get("as_employer")))
        except Conflict as err:
            db.session.rollback()
            flash(err.message, "error")
            status = 409
        except Invalid as err:
            errors, status = _invalid(err), 400
        else:
            db.session.commit()
            flash(_("感谢您的评价！"), "success")
            return redirect(request.path)
    mine = surveys.existing(db.session, user, found) if user is not None else None
    is_employer = user is not None and any(m.organisation and m.organisation.kind == OrgKind.enterprise
                                           for m in user.memberships)
    return render_template("programme/surveys/show.html", target=found, summary=surveys.summary(db.session, found),
                           mine=mine, errors=errors, form=request.form, is_employer=is_employer,
                           can_rate=is_employer or (user is not None and surveys.took_part(db.session, user, found))
                           ), status


@bp.get("/surveys/mine")
@login_required
def survey_mine():
    return render_template("programme/surveys/mine.html", items=surveys.rateable(db.session, _user()))


@bp.get("/surveys/quality")
def survey_quality():
    rows, user = surveys.teaching_quality(db.session), _user()
    readable = {q.provider.id for q in rows if can(user, "survey.view", q.provider)}  # reviewers read every answer
    return render_template("programme/surveys/quality.html", rows=rows, readable=readable)


@bp.get("/surveys/provider/<code>")
@login_required
def survey_answers(code: str):
    provider = organisations.get_by_code(db.session, code)
    answers = surveys.answers_for(db.session, _user(), provider)
    return render_template("programme/surveys/answers.html", provider=provider, answers=answers, mask_name=mask_name)


# -- recruitment QR codes --------------------------------------------------------------------------------
def _union(code: str):
    org = organisations.get_by_code(db.session, code)
    if org.kind != OrgKind.union:
        raise NotFound(_("只有工会有招募二维码。"))
    return org


def _qr_url(code: str) -> str:
    return url_for("catalog.union_catalog", code=code, via=code, _external=True)


@bp.get("/qr")
@login_required
def qr_list():
    return render_template("programme/qr/list.html", unions=qrcodes.unions_for(db.session, _user()))


@bp.get("/qr/<code>.png")
def qr_png(code: str):
    _union(code)
    return Response(qrcodes.png(_qr_url(code)), mimetype="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/qr/<code>.pdf")
def qr_pdf(code: str):
    org = _union(code)
    body = qrcodes.pdf(org, _qr_url(code), heading=_("职工学历技能双提升 · 扫码学习"),
                       lines=[_("微信或手机浏览器扫码，进入本级工会资源开放目录"), _("注册后即可在线学习、报读、咨询")])
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": qrcodes.content_disposition(code)})


# -- data exchange ---------------------------------------------------------------------------------------
def _exchange_orgs(user: Any) -> list[Organisation]:
    if is_admin(user):
        from sqlalchemy import select

        return list(db.session.scalars(select(Organisation).where(
            Organisation.kind.in_([OrgKind.institution, OrgKind.hr_dept])).order_by(Organisation.code)))
    return [m.organisation for m in user.memberships
            if m.organisation is not None and can(user, "exchange.import", m.organisation)]


@bp.route("/exchange", methods=["GET", "POST"])
@login_required
def exchange_page():
    user, report, status = _user(), None, 200
    orgs = _exchange_orgs(user)
    if not orgs:
        raise Forbidden(_("只有院校和人力社保部门的工作人员可以导入交换数据。"))
    if request.method == "POST":
        org = next((o for o in orgs if o.code == request.form.get("org")), orgs[0])
        upload = request.files.get("file")
        try:
            report = exchange.import_file(
                db.session, user, org, request.form.get("kind", ""), upload.read() if upload else b"",
                upload.filename or "" if upload else "", valid_only=bool(request.form.get("valid_only")),
                limits=TableLimits.from_config(current_app.config))
        except Invalid as err:
            _invalid(err)
            status = 400
        else:
            if report.imported:
                db.session.commit()
                flash(_("已导入%(n)d条记录。", n=report.imported), "success")
                if not report.errors:
                    return redirect(url_for(".exchange_page"))
            else:
                db.session.rollback()
                flash(_("文件中有错误，没有导入任何内容。请按下表修改后重新上传。"), "error")
                status = 400
    return render_template("programme/exchange/import.html", orgs=orgs, report=report, specs=exchange.SPECS,
                           kinds={o.code: exchange.kinds_for(o) for o in orgs},
                           batches=exchange.batches(db.session, orgs)), status


@bp.get("/exchange/template/<kind>.csv")
@login_required
def exchange_template(kind: str):
    try:
        chosen = exchange.ExchangeKind(kind)
        body = exchange.template_csv(chosen)
    except (ValueError, KeyError):
        raise NotFound(_("没有这种数据模板。")) from None
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={kind}.csv"})


# -- reports ---------------------------------------------------------------------------------------------
def _report_for(code: str):
    year = request.args.get("year", type=int)
    org = _union(code)
    return reports.build(db.session, _user(), org, year)


@bp.get("/reports")
@login_required
def reports_home():
    """Union staff go straight to their own union's dashboard; others see the (empty) list of theirs."""
    unions = qrcodes.unions_for(db.session, _user())
    own = [u for u in unions if not any(o is not u and u.path.startswith(o.path) for o in unions)]
    if len(own) == 1:
        return redirect(url_for(".report", code=own[0].code))
    return render_template("programme/reports/index.html", unions=own)


YEARLY = ("applications", "enrolled", "enrolments", "completions")  # counts of people, comparable on one axis


def _charts(report: reports.Report) -> list[tuple[str, Any]]:
    names = {r.id: (_("本级") if r.id == report.org.id else r.name) for r in report.regions}
    result = [(str(m.label), charts.bar_chart(f"{m.label}（{m.unit}）",
                                               [(names[i], v) for i, v in report.by_region[m.key].items()],
                                               colour=charts.PALETTE[n % len(charts.PALETTE)]))
              for n, m in enumerate(report.metrics)]
    yearly = {str(m.label): [(str(y), v) for y, v in sorted(report.by_year[m.key].items())]
              for m in report.metrics if m.key in YEARLY}
    result.append((_("按年度"), charts.column_chart(_("按年度"), yearly)))
    for m in report.metrics:
        if m.industry is not None and report.by_industry.get(m.key):
            items = sorted(((reports.industry_label(k), v) for k, v in report.by_industry[m.key].items()),
                           key=lambda item: -item[1])
            result.append((_("%(m)s · 按行业", m=m.label), charts.bar_chart(f"{m.label}", items)))
    return result


@bp.get("/reports/<code>")
@login_required
def report(code: str):
    result = _report_for(code)
    return render_template("programme/reports/dashboard.html", report=result, charts=_charts(result))


@bp.get("/reports/<code>/report.xlsx")
@login_required
def report_xlsx(code: str):
    result = _report_for(code)
    return Response(reports.xlsx(result), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=report-{code}-{result.year or 'all'}.xlsx"})


@bp.get("/reports/<code>/<int:year>.pdf")
@login_required
def report_pdf(code: str, year: int):
    org = _union(code)
    result = reports.build(db.session, _user(), org, year)
    title = _("%(org)s %(year)d年度 职工学历技能双提升行动统计报告", org=org.name, year=year)
    return Response(reports.pdf(result, title), mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=report-{code}-{year}.pdf"})
