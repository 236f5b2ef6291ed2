"""base.html's pieces that depend on the page's address and language at most, never on the viewer (`Frame`), kept
with the shared parts (app/sharedparts.py) once per page and language, the address put in on each request: only
the viewer's own pieces are rendered on each request."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote_plus

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup, escape

from app.assets import fingerprints
from app.sharedparts import shared


class Frame(NamedTuple):
    """base.html's pieces that depend on the page's address and language at most, never on the viewer, made once
    per page (endpoint) and language (the per-language ones shared between pages), the address put in on each
    request: only the viewer's own pieces (their name, the bell's and the desk's counts, flashed messages) are
    rendered on each request."""
    html_lang: str
    site: Markup  # the default title
    head: Markup  # the head's links (_layout_head.html)
    top: Markup  # the top bar up to the account links (_layout_top.html)
    desk: str
    desk_label: Markup
    bell: str
    bell_label: Markup
    icons: str
    me: str
    offline: Markup  # the offline banner
    anonymous: Markup  # the sign-in and register links, with this page as where to come back
    foot: Markup  # the footer and the tab bar, with this page's active tab (_layout_foot.html, _layout_tabs.html)


def _label(text: str) -> Markup:
    return Markup(gettext(text))  # noqa: S704 - our own catalog, as the templates' `_` marks it


def _language_frame() -> Frame:
    # marked safe: autoescaping templates, or our own catalog as the templates' `_` marks it
    locale = str(get_locale())
    return Frame(
        html_lang=locale.replace("_", "-"), site=_label("求学"),
        head=Markup(render_template("_layout_head.html")),  # noqa: S704
        top=Markup(render_template("_layout_top.html")),  # noqa: S704
        desk=url_for("desk.page"), desk_label=_label("工作台"), bell=url_for("notifications.page"),
        bell_label=_label("消息"), icons=url_for("static", filename="icons/tabs.svg"), me=url_for("me.home"),
        offline=Markup('<p class="offline-banner" role="status" hidden><strong>{}</strong> {}</p>').format(
            _label("离线"), _label("没有网络：这里是上次保存的内容，学习进度联网后自动上传。")),
        anonymous=Markup(""), foot=Markup(""))


HERE = "~here~"  # the page's address in the kept pieces: unchanged by URL quoting and HTML escaping


class _PageFrame(NamedTuple):
    """A page's frame with its address left out: `anonymous` and `foot` cut where it goes (at HERE)."""
    frame: Frame
    anonymous: tuple[str, ...]
    foot: tuple[str, ...]


def _way_back(here: str) -> str:
    """`here` as url_for writes a `next=` value and Jinja escapes it: werkzeug quotes a query's values with
    `urlencode(..., safe=...)` (werkzeug.urls._urlencode, private, hence repeated), that is, with quote_plus."""
    return str(escape(quote_plus(here, safe="!$'()*,/:;?@")))


def _page_frame() -> _PageFrame:
    static = fingerprints().version_now()
    frame = _language_frame() if current_app.debug else shared(("layout", static, request.script_root), _language_frame)
    login = url_for("auth.login") if request.endpoint in ("auth.login", "auth.register") else \
        f"{url_for('auth.login')}?next={HERE}"
    anonymous = Markup('    <a href="{}">{}</a>\n    <a href="{}">{}</a>').format(
        login, _label("登录"), url_for("auth.register"), _label("注册"))
    foot = f'{render_template("_layout_foot.html", here=HERE)}\n{render_template("_layout_tabs.html")}'
    return _PageFrame(frame, tuple(anonymous.split(HERE)), tuple(foot.split(HERE)))


def init_app(app: Flask) -> None:
    @app.template_global()
    def layout_frame() -> Frame:
        """What base.html shows around a page that is the same for every viewer (`Frame`): made once per page
        (endpoint) and language, then given this address's way back. Made per address before, it cost a search's
        or a resource's every new address 0.15 ms and an entry."""
        if app.debug:  # every time under `make dev`, where a static file's URL changes with each edit
            page = _page_frame()
        else:  # the frame names static files: a deploy's new files show at once
            page = shared(("layout.page", fingerprints().version_now(), request.script_root, request.endpoint,
                           request.blueprint), _page_frame)
        back = _way_back(request.full_path.rstrip("?"))
        # the pieces come from autoescaping templates and `back` is escaped
        return page.frame._replace(anonymous=Markup(back.join(page.anonymous)),  # noqa: S704
                                   foot=Markup(back.join(page.foot)))  # noqa: S704
