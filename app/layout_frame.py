"""base.html's pieces that depend on the page's address and language at most, never on the viewer (`Frame`), kept
with the shared parts (app/sharedparts.py): only the viewer's own pieces are rendered on each request."""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import get_locale, gettext
from markupsafe import Markup

from app.assets import fingerprints
from app.sharedparts import shared


class Frame(NamedTuple):
    """base.html's pieces that depend on the page's address and language at most, never on the viewer, made once
    per address and language (the per-language ones shared between addresses): only the viewer's own pieces
    (their name, the bell's and the desk's counts, flashed messages) are rendered on each request."""
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


def _make_frame() -> Frame:
    static = fingerprints().version_now()
    frame = _language_frame() if current_app.debug else shared(("layout", static, request.script_root), _language_frame)
    back = request.full_path.rstrip("?") if request.endpoint not in ("auth.login", "auth.register") else None
    anonymous = Markup('    <a href="{}">{}</a>\n    <a href="{}">{}</a>').format(
        url_for("auth.login", next=back), _label("登录"), url_for("auth.register"), _label("注册"))
    # the tab bar depends on the endpoint only: made once per endpoint (a resource page's first visit made it again)
    tabs = render_template("_layout_tabs.html") if current_app.debug else shared(
        ("layout.tabs", static, request.script_root, request.endpoint, request.blueprint),
        lambda: render_template("_layout_tabs.html"))
    return frame._replace(anonymous=anonymous, foot=Markup(  # noqa: S704 - autoescaping templates
        f'{render_template("_layout_foot.html")}\n{tabs}'))


def init_app(app: Flask) -> None:
    @app.template_global()
    def layout_frame() -> Frame:
        """What base.html shows around a page that is the same for every viewer (`Frame`)."""
        if app.debug:  # every time under `make dev`, where a static file's URL changes with each edit
            return _make_frame()
        # the frame names static files: a deploy's new files show at once
        key = ("layout", fingerprints().version_now(), request.script_root, request.full_path, request.endpoint)
        return shared(key, _make_frame)
