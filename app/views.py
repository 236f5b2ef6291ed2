"""Site-wide pages: home, health check, the rich-text editor's preview, and the sections whose packages are still
to come."""

from __future__ import annotations

import io
import logging
import os
from datetime import timedelta
from pathlib import Path

import segno
from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.db import utcnow
from app.demo import DEMO_PASSWORD, accounts_to_show
from app.errors import Invalid
from app.extensions import db
from app.health import database_ok, read_only
from app.richtext import MAX_SOURCE, markdown_source, render_markdown
from app.web import current_user_required, json_object

bp = Blueprint("main", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def index() -> str:
    return render_template("index.html", demo_accounts=accounts_to_show(current_app.config["DATA_DIR"]),
                           demo_password=DEMO_PASSWORD)


@bp.get("/.well-known/security.txt")
def security_txt() -> Response:
    """How to report a vulnerability (RFC 9116); the threat model is docs/security.md."""
    expires = (utcnow() + timedelta(days=180)).replace(microsecond=0).isoformat() + "Z"
    body = (f"Contact: {current_app.config['SECURITY_CONTACT']}\nExpires: {expires}\n"
            "Preferred-Languages: zh, en\n")
    return Response(body, content_type="text/plain; charset=utf-8")


@bp.post("/api/v1/markdown/preview")
def markdown_preview() -> Response:
    """The editor's 预览: {"source": Markdown} -> {"html": ...}, by the very function that renders on save, so
    the preview is what will be stored. Signed-in users only, CSRF-checked, rate limited (app/limits.py)."""
    current_user_required()
    source = json_object().get("source", "")
    if not isinstance(source, str):
        raise Invalid(_("预览内容应为文字。"), code="bad_source")
    if len(source) > MAX_SOURCE:
        raise Invalid(_("内容太长，无法预览（最多%(n)d字符）。", n=MAX_SOURCE), code="too_long")
    return jsonify({"html": render_markdown(markdown_source(source))})


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """For load balancers and `make run`: 200 when the database answers and accepts writes and the data
    folders can be written; otherwise 503 with the reason. A read-only data folder still serves reading
    pages (app/db.py opens the database read-only), and this is where it shows."""
    reasons = []
    database = _database_state()
    if database != "ok":
        reasons.append(f"database {database}")
    read_only = [name for name, folder in _folders().items() if not _writable(folder)]
    if read_only:
        reasons.append("folders that cannot be written: " + ", ".join(read_only))
    body = {"status": "error" if reasons else "ok", "database": database, "storage": "read_only" if read_only
            else "ok"}
    if reasons:
        body["reason"] = "; ".join(reasons)
    return jsonify(body), 503 if reasons else 200


def _database_state() -> str:
    if not database_ok(db.session):
        return "unavailable"
    try:
        return "read_only" if read_only(db.session) else "ok"
    except Exception:  # noqa: BLE001 - any failure means unhealthy; the reason goes to the log
        log.exception("health check: the database does not answer")
        return "unavailable"


def _folders() -> dict[str, Path]:
    config = current_app.config
    data = Path(config["DATA_DIR"])
    return {"data": data, "search": Path(config.get("SEARCH_INDEX_DIR") or data / "search"),
            "media": Path(config.get("MEDIA_DIR") or data / "media")}


def _writable(folder: Path) -> bool:
    """Asked of the kernel, without writing (a liveness probe runs every few seconds): access(2) answers EROFS on a
    read-only mount and EPERM on an immutable folder, which permissions alone would not tell root."""
    while not folder.exists() and folder != folder.parent:  # created on first use: its parent must take it
        folder = folder.parent
    if os.access(folder, os.W_OK):
        return True
    log.warning("health check: %s cannot be written", folder)
    return False


@bp.get("/learning")
def learning() -> ResponseReturnValue:
    """我的学习 (the tab bar's 学习): the site's tab has its place here, the page belongs to the learning package,
    which puts its own view in this one's stead (learning.init_app): app sits below the domain packages."""
    abort(404)  # raises; never returns


@bp.get("/share/qr.svg")
def share_qr() -> Response:
    """A QR code linking to one page of this site (`?path=/news/3`), drawn here (segno) so a share card needs no
    other host. Only paths of this site: the code never points elsewhere."""
    path = request.args.get("path", "")
    if not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 500 or any(
            ord(c) < 33 for c in path):
        abort(404)
    buffer = io.BytesIO()
    segno.make(request.url_root.rstrip("/") + path, error="m").save(buffer, kind="svg", scale=4, border=2,
                                                                     xmldecl=False)
    response = Response(buffer.getvalue(), content_type="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
