"""The admins' page of the departments' API tokens (/exchange/tokens): make one for a department with its scopes
(the secret is on the answer page once, never again), see every token with its department, scopes and state, and
revoke one. Thin: the tokens service decides, this commits once."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.accounts.policy import require
from app.errors import Invalid
from app.extensions import db
from app.web import current_user_required, show_invalid
from programme.sharing import tokens
from programme.sharing.models import ApiToken
from programme.web import acted, support_bp


def _page(status: int = 200, secret: str = "", made: ApiToken | None = None,
          errors: dict[str, str] | None = None) -> ResponseReturnValue:
    return render_template("programme/sharing/tokens.html", items=tokens.listing(db.session),
                           departments=tokens.departments(db.session), scopes=tokens.SCOPES,
                           allowed={k.value: v for k, v in tokens.ALLOWED.items()}, secret=secret, made=made,
                           errors=errors or {}), status


@support_bp.route("/exchange/tokens", methods=["GET", "POST"])
@login_required
def api_tokens() -> ResponseReturnValue:
    user = current_user_required()
    require(user, "exchange.tokens")
    if request.method == "GET":
        return _page()
    org = next((o for o in tokens.departments(db.session) if o.code == request.form.get("org")), None)
    try:
        if org is None:
            raise Invalid(_("令牌未创建，请按提示修改。"), code="invalid_token_request",
                          fields={"org": _("请选择部门。")})
        made, secret = tokens.create(db.session, user, org, request.form.get("name", ""),
                                     request.form.getlist("scopes"))
    except Invalid as err:
        return _page(400, errors=show_invalid(err))
    db.session.commit()
    return _page(secret=secret, made=made)


@support_bp.post("/exchange/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int) -> ResponseReturnValue:
    user = current_user_required()
    require(user, "exchange.tokens")
    token = tokens.get(db.session, token_id)
    acted(lambda: tokens.revoke(db.session, user, token), _("令牌已撤销，持有它的系统从下一次调用起被拒绝。"))
    return redirect(url_for(".api_tokens"))
