"""Language: Simplified Chinese by default, English through the switch in the footer.

Message ids are the Chinese texts themselves, so the default language never shows a missing
translation; `app/translations/en` carries the English catalog (compiled by `make`).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, cast

from babel import Locale
from babel.support import NullTranslations
from flask import Blueprint, Flask, current_app, g, has_request_context, redirect, request
from flask_babel import force_locale, get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from app import timefmt
from app.extensions import babel
from app.security import safe_next

COOKIE = "lang"
bp = Blueprint("i18n", __name__)


def locales() -> list[str]:
    return [code.strip() for code in current_app.config["LOCALES"].split(",") if code.strip()]


@functools.cache
def _parsed(code: str) -> Locale:
    return Locale.parse(code)


@functools.cache
def locale_name(code: str) -> str:
    """What str(get_locale()) says for the language `code` ("zh_CN" -> "zh_Hans_CN"): the language in the keys of
    kept parts, for a page answered outside Flask's request context (app/viewer_pages.py)."""
    return str(_parsed(code))


def locale_code(cookies: Mapping[str, str] | None = None) -> str:
    """The code of this request's language ("zh_CN"), what `get_locale()` would say, without flask-babel's
    per-request set-up: for the progress heartbeat, which only hands it to its writer. `cookies`: the request's,
    when it is answered outside Flask's request context (learning.heartbeat_path)."""
    if cookies is None and has_request_context():
        cookies = request.cookies
    chosen = cookies.get(COOKIE) if cookies is not None else None
    return chosen if chosen in locales() else str(current_app.config["DEFAULT_LOCALE"])


def speaking(code: str) -> AbstractContextManager[Any]:
    """Messages in the language `code` for the block, in an app context outside any request (the heartbeat's own
    path and its writer thread). Nothing to do for the default language when no other is forced: get_locale()
    gives it there anyway (force_locale, twice per heartbeat, was ~5% of a heartbeat's Python time)."""
    chosen = getattr(g.get("_flask_babel"), "babel_locale", None)
    if code == current_app.config["DEFAULT_LOCALE"] and not has_request_context() and chosen in (None, _parsed(code)):
        return contextlib.nullcontext()
    return force_locale(_parsed(code))


def select_locale() -> Locale:
    """The language of this request, parsed once per code (flask-babel parses a returned code on every request)."""
    return _parsed(locale_code())


def translations() -> NullTranslations:
    """The message catalog of the current language, looked up once per request and language: flask-babel's own
    lookup (three context look-ups and the locale made a string, for every message) cost about as much as a
    page's own rendering of its forty-odd messages. Keyed by the locale object itself, so `force_locale` (a text
    sent in its recipient's language) and `refresh` are obeyed."""
    try:
        space = g._flask_babel
        kept = space.qiuxue_translations
        if kept[0] is space.babel_locale:
            return cast(NullTranslations, kept[1])
    except (AttributeError, RuntimeError):  # first message of the request, or outside any context
        pass
    found = get_translations()
    try:
        space = g._flask_babel
        space.qiuxue_translations = (space.babel_locale, found)
    except (AttributeError, RuntimeError):
        pass
    return found


@pass_context
def template_gettext(context: Context, string: str, **variables: Any) -> str:
    """`_()` and `gettext()` in templates: what Jinja's newstyle gettext does (translated, marked safe when
    autoescaping, then formatted with escaped values), in one call instead of three layers of `context.call`."""
    found = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        found = Markup(found)  # noqa: S704 - our own catalog, as Jinja's newstyle gettext marks it
    return found % variables


@bp.get("/lang/<code>")
def switch(code: str) -> WerkzeugResponse:
    """Remember the chosen language in a cookie and go back to the page the visitor was on.

    A plain link rather than a form: choosing a display language changes nothing worth forging,
    and pages without a per-session form token can be cached for every anonymous visitor."""
    response = redirect(safe_next(request.args.get("next")))
    if code in locales():
        response.set_cookie(COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                            secure=current_app.config["HTTPS"])
    return response


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(app.root_path + "/translations"))
    # as flask-babel installs them, through `translations`
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"] = template_gettext
    app.register_blueprint(bp)
    timefmt.init_app(app)  # dates and times shown in Beijing time: the filters local_date, local_datetime

    @app.context_processor
    def language_context() -> dict[str, str]:
        return {"current_locale": str(get_locale()), "html_lang": str(get_locale()).replace("_", "-")}
