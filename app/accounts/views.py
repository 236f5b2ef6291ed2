"""Pages for signing up, logging in and out, the worker's own profile and password.
Thin: parse the form, call the service, commit, show the result."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_remembered, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app import audit, sms
from app.accounts import codes, continuity, device_cookies, profiles, service, sessions
from app.accounts.forms import LoginForm, PasswordForm, ProfileForm, RegisterForm
from app.accounts.masking import mask_id_number, mask_phone
from app.accounts.models import Organisation, OrgKind, OrgLevel, Role, User
from app.accounts.org_views import ACTION_LABELS, ROLE_LABELS
from app.accounts.policy import can, orgs_for, require
from app.errors import Conflict, DomainError, Invalid, TooManyRequests
from app.extensions import db
from app.security import safe_next
from app.web import current_user_or_none, current_user_required

auth_bp = Blueprint("auth", __name__, url_prefix="/auth")
me_bp = Blueprint("me", __name__, url_prefix="/me")


def init_login(manager: LoginManager) -> None:
    manager.login_view = "auth.login"
    manager.login_message = None  # the login page explains itself
    manager.session_protection = "basic"

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        uid, rest = _split(user_id)
        if uid is None:
            return None
        version, _sep, sid = rest.partition(":")
        loaded: list[User | None] = []

        def load() -> tuple | None:
            # None when logged out, the password changed or everything was logged out since this session began
            loaded.append(sessions.load_user(db.session, uid, version, sid))
            return None if loaded[0] is None else sessions.snapshot(loaded[0])

        # kept until the account, its sessions or its roles change (app/sharedparts.py): no query per page
        kept = current_app.extensions["signed_in_users"].get_or_make((uid, version, sid), load)
        if loaded:
            return loaded[0]
        return None if kept is None else sessions.restore(db.session, kept, sid)


def kept_user(uid: int, rest: str) -> Any:
    """What `load_user` keeps of a signed-in session's user (`sessions.snapshot`; None: logged out), or
    sharedparts.MISSING: outside a request too, for a page answered beneath Flask (app/viewer_pages.py)."""
    version, _sep, sid = rest.partition(":")
    return current_app.extensions["signed_in_users"].peek((uid, version, sid))


def _split(user_id: str) -> tuple[int | None, str]:
    """The session's user key is "<id>:<session version>:<session id>"; returns the id and the rest."""
    uid, _sep, rest = user_id.partition(":")
    return (int(uid) if uid.isdigit() else None), rest


def session_user() -> tuple[int, str] | None:
    """(user id, "<session version>:<session id>") as the signed session cookie says, without touching the
    database: for the hottest JSON endpoint (progress heartbeats, one per learner every 15 s), which checks both
    in its own first query (learning.heartbeats) instead of loading the user and its memberships.
    A session restored from a remember-me cookie takes the full path once."""
    key = session.get("_user_id")
    if key is None:
        key = current_user.get_id() if current_user.is_authenticated else None
    return session_user_in({"_user_id": key})


def session_user_in(data: Mapping[str, Any]) -> tuple[int, str] | None:
    """`session_user` from the session's data alone (None without a user in it, as when only a remember-me cookie
    could name one)."""
    key = data.get("_user_id")
    if key is None:
        return None
    uid, rest = _split(key)
    return None if uid is None else (uid, rest)


def _keep() -> timedelta:
    """How long a session row may be needed: the longer of the remember-me cookie and the session cookie."""
    return sessions.lifetime(current_app.config)


def _log_in(user: User, remember: bool) -> None:
    """Start a session row and put its id into the cookies (call before the commit); this browser becomes a known
    device of the account (app.accounts.device_cookies)."""
    sessions.start(db.session, user, keep=_keep())
    device_cookies.give(user)
    login_user(user, remember=remember, duration=timedelta(days=current_app.config["REMEMBER_DAYS"]))


def log_in_again(user: User) -> None:
    """After every session of `user` ended (a new password, a new number): a new one for this device, remembered only
    if this one was (记住我 unticked on a shared computer must not turn into a 30-day cookie)."""
    _log_in(user, remember=login_remembered())


def client_source() -> str:
    """Where the request comes from, for throttling: the peer address, or with PROXY_FIX_X_FOR proxies in front the
    address the outermost of them saw (app/proxy.py has put it in remote_addr: X-Forwarded-For counted from the
    right, so only our proxies' entries are trusted). An IPv6 address is cut to its /64, the block one subscriber
    holds."""
    address = request.remote_addr or ""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _show_errors(form: FlaskForm, err: DomainError) -> None:
    """Copy the service's per-field messages onto the form; anything else becomes a page message."""
    for name, message in err.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [message]
        else:
            flash(message, "error")
    if err.message and not err.fields:
        flash(err.message, "error")


_Saved = TypeVar("_Saved")


def _commit_or_show(form: FlaskForm, run: Callable[[], _Saved],
                    refused: tuple[type[DomainError], ...] = (Invalid,)) -> _Saved | None:
    """Run a form's service call: commit and return what it made, or (None) roll back and show the refusal."""
    try:
        saved = run()
    except refused as err:
        db.session.rollback()
        _show_errors(form, err)
        flash(err.message, "error")
        return None
    db.session.commit()
    return saved


def _referrer() -> Organisation | None:
    """The union whose recruitment QR code (?via=<code>, kept in the session) brought this visitor here."""
    code = session.get("via")
    if not code:
        return None
    return db.session.scalar(select(Organisation).where(Organisation.code == str(code)[:32],
                                                        Organisation.kind == OrgKind.union))


def code_limits() -> codes.Limits:
    return codes.Limits.of(current_app.config)


def deliver_sms() -> None:
    """After the commit: hand queued text messages to the gateway (the log by default)."""
    sms.deliver_pending(db.session, sms.gateway_for(current_app))


def send_code(form: FlaskForm, send: Callable[[], None]) -> int:
    """The "获取验证码" button of a form: the same answer whether the number has an account or not."""
    try:
        send()
    except TooManyRequests as err:
        db.session.rollback()
        flash(err.message, "error")
        return 429
    except (Invalid, Conflict) as err:
        db.session.rollback()
        _show_errors(form, err)
        return 400
    db.session.commit()
    deliver_sms()
    flash(_("验证码已发送，请查看短信。"), "success")
    return 200


def _came_from() -> str:
    """Where a worker was before the register page: ?next=, or else the page of this site that linked here (the
    header's 注册 link carries no next), so that registering leads back to it."""
    if request.args.get("next"):
        return request.args["next"]
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host or parts.path.startswith("/auth/"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


@auth_bp.route("/register", methods=["GET", "POST"])
def register():
    """Phone, code, password; then straight back to where the worker was (the profile waits until a programme
    application needs it)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm(next=_came_from())
    status = 200
    if form.validate_on_submit() and request.form.get("action") == "send":
        status = send_code(form, lambda: continuity.send_register_code(
            db.session, form.phone.data or "", source=client_source(), limits=code_limits()))
    elif form.validate_on_submit():
        try:
            user = continuity.register_with_code(
                db.session, phone=form.phone.data or "", code=form.code.data or "", password=form.password.data or "",
                referred_by=_referrer(), source=client_source(), limits=code_limits())
        except TooManyRequests as err:
            db.session.rollback()
            flash(err.message, "error")
            status = 429
        except Invalid as err:
            db.session.commit()  # a wrong code counts against the code and the address
            _show_errors(form, err)
            status = 400
        else:
            _log_in(user, remember=True)
            db.session.commit()
            session.pop("via", None)
            flash(_("注册成功，欢迎来到求学！"), "success")
            return redirect(safe_next(form.next.data))
    elif form.is_submitted():
        status = 400
    return render_template("auth/register.html", form=form), status


@auth_bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        try:
            user = service.authenticate(
                db.session, phone=form.phone.data or "", password=form.password.data or "", source=client_source(),
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                account_failures=current_app.config["LOGIN_ACCOUNT_MAX_FAILURES"],
                window=timedelta(minutes=current_app.config["LOGIN_WINDOW_MINUTES"]), device=device_cookies.presented())
        except TooManyRequests as err:
            db.session.rollback()
            flash(err.message, "error")
            status = 429
        except Invalid as err:
            db.session.commit()  # keep the failure: it counts toward the throttle
            flash(err.message, "error")
            status = 400
        else:
            _log_in(user, remember=bool(form.remember.data))
            db.session.commit()
            return redirect(safe_next(form.next.data))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@auth_bp.post("/logout")
def logout():
    """POST only, so CSRFProtect guards it: a link on another site cannot log people out. Ends this session on
    the server too: a copy of its cookies (session or remember-me) stops working; other devices stay in."""
    if (user := current_user_or_none()) is not None:
        sessions.end(db.session, user)
        db.session.commit()
    logout_user()
    flash(_("您已退出登录。"), "success")
    return redirect(url_for("main.index"))


@me_bp.post("/logout-everywhere")
@login_required
def logout_everywhere():
    """退出所有设备: every session of this account ends, this one included (a lost phone, a shared computer)."""
    user = current_user_required()
    sessions.end_all(db.session, user)
    db.session.commit()
    logout_user()
    flash(_("已退出所有设备上的登录。"), "success")
    return redirect(url_for("auth.login"))


@me_bp.get("/audit")
@login_required
def audit_log():
    """Site admins: the whole audit log, newest first (organisations' own logs are on their pages)."""
    require(current_user, "admin.site")
    return render_template("orgs/audit.html", org=None, entries=audit.entries(db.session),
                           action_labels=ACTION_LABELS, role_labels=ROLE_LABELS, detail_of=audit.detail_of)


@me_bp.get("")
@login_required
def home():
    return render_template("me/home.html", masked_phone=mask_phone(current_user.phone),
                           sessions=sessions.count(db.session, current_user),
                           site_admin=can(current_user, "admin.site"),
                           union_staff=bool(orgs_for(current_user, Role.union_staff)))


def _union_choices() -> list[SelectChoice]:
    unions = db.session.scalars(select(Organisation).where(
        Organisation.kind == OrgKind.union,
        Organisation.level.in_([OrgLevel.province, OrgLevel.city, OrgLevel.county])).order_by(Organisation.path))
    indent = {OrgLevel.province: "", OrgLevel.city: "　", OrgLevel.county: "　　"}
    return [SelectChoice("", _("请选择"))] + [SelectChoice(o.code, indent[o.level] + o.name) for o in unions]


@me_bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user_required()
    existing = user.profile
    form = ProfileForm(next=request.args.get("next", ""))
    form.union_code.choices = _union_choices()
    status = 200
    if request.method == "GET" and existing is not None:
        form.real_name.data = existing.real_name
        form.employer.data = existing.employer
        form.employer_type.data = existing.employer_type.value if existing.employer_type else ""
        form.job_level.data = existing.job_level.value if existing.job_level else ""
        form.union_member.data = existing.union_member
        form.union_code.data = existing.union.code if existing.union else ""
        form.contract_start.data = existing.contract_start.isoformat() if existing.contract_start else ""
        form.contract_end.data = existing.contract_end.isoformat() if existing.contract_end else ""
        form.education.data = existing.education.value if existing.education else ""
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in profiles.PROFILE_FIELDS}
        if not data["id_number"] and existing is not None:
            data["id_number"] = existing.id_number  # left blank = keep the one on file (never shown in full)
        try:
            profiles.update_profile(db.session, user, user, data, password=form.current_password.data or "")
        except TooManyRequests as err:
            db.session.rollback()
            flash(err.message, "error")
            status = 429
        except Invalid as err:
            db.session.commit()  # keeps a wrong current password's count (the throttle), as password() does
            _show_errors(form, err)
            flash(err.message, "error")
            status = 400
        else:
            db.session.commit()
            flash(_("个人资料已保存。"), "success")
            return redirect(safe_next(form.next.data, url_for("me.profile")))
    elif form.is_submitted():
        status = 400
    id_on_file = mask_id_number(existing.id_number) if existing and existing.id_number else None
    identity_on_file = existing is not None and bool(existing.real_name or existing.id_number)
    return render_template("me/profile.html", form=form, id_on_file=id_on_file, identity_on_file=identity_on_file,
                           back=safe_next(form.next.data, url_for("me.home"))), status


from app.accounts import continuity_views  # noqa: E402, F401 - its routes join these blueprints


@me_bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user_required()
        try:
            service.change_password(db.session, user, current=form.current.data or "", new=form.new.data or "")
        except Invalid as err:
            db.session.commit()  # keeps the wrong guess it counted (the throttle), as login() does; nothing else
            _show_errors(form, err)
            status = 400
        else:
            # a new session for this device (every other one has ended), remembered only if this one was: 记住我
            # unticked on a shared computer must not turn into a 30-day cookie
            _log_in(user, remember=login_remembered())
            db.session.commit()
            flash(_("密码已修改，其他设备需要重新登录。"), "success")
            return redirect(url_for("me.home"))
    elif form.is_submitted():
        status = 400
    return render_template("me/password.html", form=form), status
