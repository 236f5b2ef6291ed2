"""Pages that keep an account with its owner: password reset by SMS code, a new phone number (by codes, or by
union staff checking the ID card when the old number is gone), the admins' page of recent codes for support
desks, and account merges. Thin: parse, call app.accounts.continuity / merge, commit, show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from app.accounts import continuity, device_cookies, merge
from app.accounts.forms import LostPhoneForm, MergeForm, PhoneChangeForm, ResetForm
from app.accounts.masking import mask_name, mask_phone
from app.accounts.models import AccountMerge, Role, User
from app.accounts.policy import can, orgs_for, require
from app.accounts.service import normalise_phone
from app.accounts.views import (
    _commit_or_show,
    _show_errors,
    auth_bp,
    client_source,
    code_limits,
    deliver_sms,
    log_in_again,
    me_bp,
    send_code,
)
from app.errors import Conflict, Invalid, TooManyRequests
from app.extensions import db
from app.sms import recent
from app.web import current_user_required


def _act(form: Any, run: Callable[[], object], fail_status: int = 400) -> int | None:  # form: a FlaskForm
    """Run a code-checking step; None on success (committed), else the status with messages on the form. A wrong
    code is committed too: it counts against the code and the address."""
    try:
        run()
    except TooManyRequests as err:
        db.session.rollback()
        flash(err.message, "error")
        return 429
    except Conflict as err:
        db.session.rollback()
        _show_errors(form, err)
        flash(err.message, "error")
        return 409
    except Invalid as err:
        db.session.commit()
        _show_errors(form, err)
        return fail_status
    db.session.commit()
    return None


def _code_steps(form: FlaskForm, send: Callable[..., None], act: Callable[..., object]) -> tuple[bool, int]:
    """The two buttons of a form checked by SMS codes: "获取验证码" runs `send`, submitting runs `act` (through
    `_act`), each given the request's source address and the code limits. Returns (done, status): done when `act`
    went through and was committed."""
    checks = {"source": client_source(), "limits": code_limits()}
    if form.validate_on_submit() and request.form.get("action") == "send":
        return False, send_code(form, lambda: send(**checks))
    if form.validate_on_submit():
        failed = _act(form, lambda: act(**checks))
        return failed is None, failed or 200
    return False, 400 if form.is_submitted() else 200


@auth_bp.route("/reset", methods=["GET", "POST"])
def reset() -> ResponseReturnValue:
    """忘记密码: a code to the number, a new password; every session of the account ends."""
    form = ResetForm()
    done, status = _code_steps(
        form, lambda **checks: continuity.send_reset_code(db.session, form.phone.data or "",
                                                          device=device_cookies.presented(), **checks),
        lambda **checks: continuity.reset_password(
            db.session, phone=form.phone.data or "", code=form.code.data or "", password=form.password.data or "",
            **checks))
    if done:
        flash(_("密码已重设，请用新密码登录。"), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), status


@auth_bp.route("/phone-lost", methods=["GET", "POST"])
def phone_lost() -> ResponseReturnValue:
    """The old number is gone: prove the new one, then union staff check the ID card and move the account."""
    form = LostPhoneForm()
    done, status = _code_steps(
        form, lambda **checks: continuity.send_staff_change_code(db.session, form.new_phone.data or "", **checks),
        lambda **checks: continuity.file_staff_change(
            db.session, old_phone=form.old_phone.data or "", new_phone=form.new_phone.data or "",
            code=form.code.data or "", **checks))
    if done:
        return render_template("auth/phone_filed.html")
    return render_template("auth/phone_lost.html", form=form), status


@me_bp.route("/phone", methods=["GET", "POST"])
@login_required
def phone() -> ResponseReturnValue:
    """A new number while the old one still works: a code to each. Every other session ends; this device gets a new
    one."""
    form, me = PhoneChangeForm(), current_user_required()

    def change(**checks: Any) -> None:
        continuity.change_phone(db.session, me, new_phone=form.new_phone.data or "", old_code=form.old_code.data or "",
                                new_code=form.new_code.data or "", **checks)
        log_in_again(me)

    done, status = _code_steps(
        form, lambda **checks: continuity.send_change_codes(db.session, me, form.new_phone.data or "", **checks),
        change)
    if done:
        flash(_("手机号已更换，学分和证书都在原账号里。"), "success")
        return redirect(url_for("me.home"))
    return render_template("me/phone.html", form=form, masked_phone=mask_phone(me.phone)), status


@me_bp.get("/phone-requests")
@login_required
def phone_requests() -> ResponseReturnValue:
    """Union staff and admins: requests to move an account to a new number, checked against the ID card."""
    if not can(current_user_required(), "admin.site") and not orgs_for(current_user_required(), Role.union_staff):
        abort(403)
    items = continuity.pending_requests(db.session, current_user_required())
    holds = {item.id: continuity.identity_hold(db.session, item.user) for item in items}  # why one cannot be approved
    return render_template("me/phone_requests.html", items=items, holds=holds, mask_phone=mask_phone,
                           mask_name=mask_name)


@me_bp.post("/phone-requests/<int:request_id>")
@login_required
def decide_phone_request(request_id: int) -> ResponseReturnValue:
    item = continuity.get_request(db.session, request_id)
    approve = request.form.get("action") == "approve"
    try:
        continuity.decide_staff_change(db.session, current_user_required(), item, approve=approve,
                                       id_number=request.form.get("id_number", ""), note=request.form.get("note", ""))
    except (Invalid, Conflict) as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        db.session.commit()
        flash(_("已更换手机号。") if approve else _("已拒绝该申请。"), "success")
    return redirect(url_for("me.phone_requests"))


@me_bp.get("/sms")
@login_required
def sms_log() -> ResponseReturnValue:
    """Admins: recent text messages (masked number, the text with its code) for a support desk."""
    require(current_user, "admin.site")
    deliver_sms()
    return render_template("me/sms.html", messages=recent(db.session), mask_phone=mask_phone)


def _by_phone(phone: str) -> User | None:
    return db.session.scalar(select(User).where(User.phone == normalise_phone(phone)))


@me_bp.route("/merges", methods=["GET", "POST"])
@login_required
def merges() -> ResponseReturnValue:
    """Admins: make two accounts of one person one (the ID card checked), and review earlier merges."""
    require(current_user, "account.merge", ())
    form, status = MergeForm(), 200
    if form.validate_on_submit():
        source, target = _by_phone(form.source.data or ""), _by_phone(form.target.data or "")
        if source is None or target is None:
            for field, user in ((form.source, source), (form.target, target)):
                if user is None:
                    field.errors = [_("没有找到用这个手机号注册的用户。")]
            status = 400
        else:
            record = _commit_or_show(form, lambda: merge.merge(
                db.session, current_user_required(), source, target, id_number=form.id_number.data or ""),
                (Invalid, Conflict))
            if record is None:
                status = 400
            else:
                flash(_("账号已合并。"), "success")
                return redirect(url_for("me.merge_record", merge_id=record.id))
    elif form.is_submitted():
        status = 400
    return render_template("me/merges.html", form=form, records=merge.records(db.session),
                           detail=merge.detail), status


@me_bp.get("/merges/<int:merge_id>")
@login_required
def merge_record(merge_id: int) -> ResponseReturnValue:
    require(current_user, "account.merge", ())
    record = db.session.get(AccountMerge, merge_id)
    if record is None:
        abort(404)
    return render_template("me/merge_record.html", record=record, detail=merge.detail(record))
