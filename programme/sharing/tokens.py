"""The departments' API tokens: made and revoked by site admins (page and CLI), shown once, kept hashed, each
with the scopes its department may hold. A department reads admissions, applications and statistics; only the
education department pushes graduations and only the HR department pushes skill certificates, so a token can
never be given the other department's scope."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.accounts import organisations
from app.accounts.models import Organisation, OrgKind
from app.accounts.policy import require
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, LoginRequired, NotFound
from app.sanitize import clean_text
from programme.sharing.models import ApiToken

PREFIX = "qxe_"  # recognisable in a leaked log or a secret scanner
SCOPES = {
    "admissions:read": _l("读取录取与学籍"),
    "applications:read": _l("读取报读申请"),
    "statistics:read": _l("读取汇总统计（仅汇总数）"),
    "graduations:write": _l("报送毕业结果（教育部门）"),
    "certificates:write": _l("报送技能等级证书（人力社保部门）"),
}
_READS = ("admissions:read", "applications:read", "statistics:read")
ALLOWED = {OrgKind.education_dept: (*_READS, "graduations:write"),
           OrgKind.hr_dept: (*_READS, "certificates:write")}


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def departments(session: Session) -> list[Organisation]:
    """The organisations a token may be made for: education and HR departments."""
    return organisations.of_kinds(session, tuple(ALLOWED))


def _checked(org: Organisation, name: str, scopes: list[str]) -> tuple[str, list[str]]:
    """The token's name and scopes, or Invalid naming each wrong field."""
    errors: dict[str, str] = {}
    name = clean_text(name)
    if not name or len(name) > 100:
        errors["name"] = _("请填写用途（最多100字）。")
    allowed = ALLOWED.get(org.kind, ())
    chosen = sorted(set(scopes))
    if not allowed:
        errors["org"] = _("只能为教育部门或人力社保部门创建令牌。")
    elif not chosen or any(s not in allowed for s in chosen):
        errors["scopes"] = _("请从这些权限中选择：%(scopes)s。", scopes="、".join(allowed))
    if errors:
        raise Invalid(_("令牌未创建，请按提示修改。"), code="invalid_token_request", fields=errors)
    return name, chosen


def create(session: Session, actor: Any, org: Organisation, name: str, scopes: list[str],
           raw: str | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret (shown to the admin once; only its digest is kept). `raw` fixes the secret:
    the demo's tokens only, so the README can quote them."""
    require(actor, "exchange.tokens", org)
    name, chosen = _checked(org, name, scopes)
    raw = raw or PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(org_id=org.id, name=name, prefix=raw[:10], digest=digest(raw), scopes=" ".join(chosen),
                     created_by_id=getattr(actor, "id", None))
    session.add(token)
    session.flush()
    audit.record(session, actor, "api_token.create", "api_token", token.id, org_id=org.id, scopes=chosen,
                 prefix=token.prefix)
    return token, raw


def get(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("没有这个令牌。"), code="token_not_found")
    return token


def revoke(session: Session, actor: Any, token: ApiToken) -> ApiToken:
    """Refused from the next call on; the row stays, as the audit log names it."""
    require(actor, "exchange.tokens", token.org)
    if token.revoked_at is not None:
        raise Conflict(_("这个令牌已经撤销。"), code="already_revoked")
    token.revoked_at, token.revoked_by_id = utcnow(), getattr(actor, "id", None)
    session.flush()
    audit.record(session, actor, "api_token.revoke", "api_token", token.id, org_id=token.org_id,
                 prefix=token.prefix)
    return token


def listing(session: Session) -> list[ApiToken]:
    """Every token, live ones first, newest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def authenticate(session: Session, raw: str) -> ApiToken:
    """The live token whose secret is `raw`, or 401 with a stable code: token_missing, token_invalid,
    token_revoked."""
    if not raw:
        raise LoginRequired(_("请在 Authorization 请求头中提供令牌：Bearer <令牌>。"), code="token_missing")
    token = session.scalar(select(ApiToken).where(ApiToken.digest == digest(raw))) if len(raw) <= 200 else None
    if token is None:
        raise LoginRequired(_("令牌无效。"), code="token_invalid")
    if token.revoked_at is not None:
        raise LoginRequired(_("令牌已撤销。"), code="token_revoked")
    return token


def require_scope(token: ApiToken, scope: str) -> None:
    if scope not in token.scope_list:
        raise Forbidden(_("这个令牌没有 %(scope)s 权限。", scope=scope), code="insufficient_scope")
