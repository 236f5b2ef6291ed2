"""Organisation pages: the public page of a union or institution, and for those allowed, adding
organisations below it, importing townships and inviting staff (and withdrawing an invitation); the invitee accepts
or declines here too, from their account page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app import audit
from app.accounts import invitations, organisations, scope, service
from app.accounts.masking import mask_phone
from app.accounts.models import Membership, Organisation, OrgKind, Role, StaffInvitation, User
from app.accounts.policy import STAFF_ROLE, Grant, can, require
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from app.tabular import TableLimits
from app.web import current_user_or_none

bp = Blueprint("orgs", __name__, url_prefix="/orgs")

KIND_LABELS = {OrgKind.union: _l("工会"), OrgKind.institution: _l("院校"), OrgKind.enterprise: _l("企业"),
               OrgKind.education_dept: _l("教育部门"), OrgKind.hr_dept: _l("人力社保部门")}
ROLE_LABELS = {Role.union_staff: _l("工会工作人员"), Role.institution_staff: _l("院校工作人员"),
               Role.enterprise_staff: _l("企业工作人员")}
ACTION_LABELS = {"role.grant": _l("任命"), "role.revoke": _l("取消任命"), "session.end_all": _l("退出所有设备"),
                 "invitation.send": _l("发出任命邀请"), "invitation.accept": _l("接受任命邀请"),
                 "invitation.decline": _l("拒绝任命邀请"), "invitation.withdraw": _l("撤回任命邀请")}


class ChildForm(FlaskForm):
    kind = SelectField(_l("类型"), choices=[SelectChoice(k.value, v) for k, v in KIND_LABELS.items()],
                       validate_choice=False)
    code = StringField(_l("代码"), render_kw={"maxlength": 32})
    name = StringField(_l("名称"), render_kw={"maxlength": 200})


class StaffForm(FlaskForm):
    phone = StringField(_l("手机号"), render_kw={"inputmode": "numeric", "maxlength": 16})
    org_admin = BooleanField(_l("同时设为本单位管理员（可任命、取消本单位工作人员）"))


class ImportForm(FlaskForm):
    file = FileField(_l("乡镇（街道）CSV 文件"))


def _show(form: FlaskForm, err: Invalid) -> None:
    for name, message in err.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]
    flash(err.message, "error")


def _apply(action: str, org: Organisation, user: User, forms: dict[str, FlaskForm]) -> str:
    """Run one posted action; returns the success message or raises a domain error."""
    form = forms.get(action)
    if action == "revoke":
        membership = db.session.get(Membership, request.form.get("membership", type=int) or 0)
        if membership is None or membership.organisation_id != org.id:
            raise NotFound()
        service.revoke_staff(db.session, user, membership)
        return _("已取消该工作人员的角色。")
    if action == "withdraw":
        invitations.withdraw(db.session, user, request.form.get("invitation", type=int) or 0, org=org)
        return _("已撤回邀请。")
    if form is None or not form.validate_on_submit():
        raise Invalid(_("请求内容不完整或格式不对，请返回重试。"))
    if isinstance(form, ChildForm):
        if form.kind.data not in {kind.value for kind in OrgKind}:  # a forged choice: said, not a 500
            raise Invalid(_("请选择组织类型。"), fields={"kind": _("请选择组织类型。")})
        organisations.create_organisation(db.session, user, parent_code=org.code, code=form.code.data or "",
                                          name=form.name.data or "", kind=OrgKind(form.kind.data))
        return _("已添加下级组织。")
    if isinstance(form, StaffForm):
        invitations.invite_staff(db.session, user, org=org, phone=form.phone.data or "",
                                 role=STAFF_ROLE[org.kind], org_admin=bool(form.org_admin.data))
        return invitations.sent_message()  # the same for every number: nothing says who has an account
    try:
        text = form.file.data.read().decode("utf-8-sig") if form.file.data else ""
    except UnicodeDecodeError:
        raise Invalid(_("文件应为 UTF-8 编码的 CSV。"), fields={"file": _("文件应为 UTF-8 编码的 CSV。")}) from None
    report = organisations.import_townships(db.session, user, text, limits=TableLimits.from_config(current_app.config))
    if report.errors:
        raise Invalid(_("文件有错误，没有导入任何内容。"), fields={"file": "；".join(report.errors[:20])})
    return _("已导入%(n)d个乡镇（街道）工会，%(s)d个已存在。", n=report.added, s=report.skipped)


@bp.route("/<code>", methods=["GET", "POST"])
def show(code: str):
    org = organisations.get_by_code(db.session, code)
    user = current_user_or_none()
    forms: dict[str, FlaskForm] = {"child": ChildForm(prefix="child"), "staff": StaffForm(prefix="staff"),
                                   "import": ImportForm(prefix="imp")}
    status = 200
    if request.method == "POST":
        if user is None:
            raise Forbidden(_("请先登录。"))
        action = request.form.get("action", "")
        try:
            message = _apply(action, org, user, forms)
        except Invalid as err:
            db.session.rollback()
            _show(forms.get(action, forms["import"]), err)
            status = 400
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("orgs.show", code=org.code))
    can_staff = can(user, "user.grant_role", Grant(org, STAFF_ROLE[org.kind]))
    can_audit = can(user, "audit.view", org)
    shown = can_staff or can_audit
    return render_template(
        "orgs/show.html", org=org, kind_labels=KIND_LABELS, role_labels=ROLE_LABELS, child_form=forms["child"],
        staff_form=forms["staff"], import_form=forms["import"], can_manage=can(user, "org.manage", org),
        can_staff=can_staff, can_name_admin=can(user, "admin.site"), can_import=can(user, "org.import", org),
        mask_phone=mask_phone,
        staff=service.staff_of(db.session, org) if shown else [], can_audit=can_audit,
        invited=invitations.pending_at(db.session, org) if shown else [],
        entries=audit.entries(db.session, audit.Filter(org_id=org.id), limit=10) if can_audit else [],
        action_labels=ACTION_LABELS, detail_of=audit.detail_of), status


@bp.get("/<code>/audit")
@login_required
def audit_log(code: str):
    """The organisation's audit log (appointments and their removal), newest first."""
    org = organisations.get_by_code(db.session, code)
    require(current_user_or_none(), "audit.view", org)
    return render_template("orgs/audit.html", org=org, entries=audit.entries(db.session, audit.Filter(org_id=org.id)),
                           action_labels=ACTION_LABELS, role_labels=ROLE_LABELS, detail_of=audit.detail_of)


@bp.get("/mine")
@login_required
def mine():
    """Staff land on the organisations they work for."""
    orgs = scope.orgs_of(current_user_or_none())
    if len(orgs) == 1:
        return redirect(url_for("orgs.show", code=orgs[0].code))
    return render_template("orgs/mine.html", orgs=orgs)


@bp.post("/invitations/<int:invitation_id>")
@login_required
def answer_invitation(invitation_id: int):
    """The holder of an invited number accepts (the role is granted now, every check run again) or declines."""
    me = current_user_or_none()
    assert me is not None
    decision = request.form.get("decision")
    if decision == "accept":
        invitations.accept(db.session, me, invitation_id)
        message = _("已接受邀请，任命已生效。")
    elif decision == "decline":
        invitations.decline(db.session, me, invitation_id)
        message = _("已拒绝邀请。")
    else:
        raise Invalid(_("请求内容不完整或格式不对，请返回重试。"))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("me.home"))


@bp.app_template_global()
def staff_invitations() -> list[tuple[StaffInvitation, str]]:
    """The signed-in person's open invitations and what each is for (the account page's section)."""
    me = current_user_or_none()
    if me is None:
        return []
    return [(found, str(ROLE_LABELS.get(found.role, "")) if found.role else invitations.duty_label(found))
            for found in invitations.pending_for(db.session, me)]
