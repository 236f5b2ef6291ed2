"""tus 1.0.0 over HTTP at /api/v1/uploads/: OPTIONS, POST (creation), HEAD, PATCH, DELETE (termination),
Upload-Expires (expiration). The protocol's rules are in media.tus; this module maps headers to calls.

These endpoints take raw bytes, not forms, so they are exempt from the CSRF token. What keeps other sites
out instead: a logged-in session is required, every request but OPTIONS must carry `Tus-Resumable`
(a non-simple header, which a cross-site form or image cannot send and a cross-site script cannot send
without a CORS preflight we never grant), and a present `Origin` must be this site.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import http_date

from app.errors import Forbidden, Invalid
from app.extensions import db
from app.text import is_digits
from app.web import current_user_required
from media import service, tus
from media.models import Upload
from media.service import MediaSettings

bp = Blueprint("media_tus", __name__, url_prefix="/api/v1/uploads")


@bp.before_request
def guard() -> None:
    origin = request.headers.get("Origin")
    if origin and _origin_host(origin) != request.host:
        raise Forbidden(_("不允许从其他网站上传。"), code="origin_not_allowed")
    if request.method == "OPTIONS":
        return
    if request.headers.get("Tus-Resumable") != tus.VERSION:
        raise tus.VersionUnsupported(_("上传客户端的协议版本不受支持。"))
    current_user_required()


def _origin_host(origin: str) -> str | None:
    """The host:port an Origin names; None for one that is no URL (`http://[`: urlsplit raised, a 500 before)."""
    try:
        return urlsplit(origin).netloc
    except ValueError:
        return None


@bp.after_request
def tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = tus.VERSION
    response.headers["Cache-Control"] = "no-store"
    if response.status_code == 412:
        response.headers["Tus-Version"] = tus.VERSION
    return response


def _settings() -> MediaSettings:
    return MediaSettings.of(current_app)


def _int_header(name: str) -> int | None:
    value = request.headers.get(name)
    if value is None:
        return None
    if not is_digits(value):
        raise Invalid(_("请求头 %(name)s 不是数字。", name=name), code="bad_header")
    return int(value)


def _upload_headers(response: Response, upload: Upload, offset: int) -> Response:
    response.headers["Upload-Offset"] = str(offset)
    response.headers["Upload-Length"] = str(upload.length_bytes)
    response.headers["Upload-Expires"] = http_date(upload.expires_at.replace(tzinfo=None))
    return response


@bp.route("/", methods=["OPTIONS"], strict_slashes=False)
@bp.route("/<upload_id>", methods=["OPTIONS"])
def options(upload_id: str | None = None) -> Response:
    response = Response(status=204)
    response.headers["Tus-Version"] = tus.VERSION
    response.headers["Tus-Extension"] = tus.EXTENSIONS
    response.headers["Tus-Max-Size"] = str(_settings().max_upload)
    return response


@bp.post("/", strict_slashes=False)
def create() -> Response:
    if request.headers.get("Upload-Defer-Length"):
        raise Invalid(_("请在开始上传时给出文件大小。"), code="defer_length_unsupported")
    settings = _settings()
    metadata = tus.parse_metadata(request.headers.get("Upload-Metadata", ""))
    org = service.pick_org(db.session, current_user, metadata.get("org"))
    upload = tus.create_upload(db.session, settings.local, current_user, org, length=_int_header("Upload-Length"),
                               metadata=metadata, max_size=settings.max_upload, quota=settings.quota,
                               expire_hours=settings.expire_hours, bucket=settings.bucket)
    db.session.commit()
    response = _upload_headers(Response(status=201), upload, 0)
    response.headers["Location"] = url_for("media_tus.upload", upload_id=upload.id)
    return response


@bp.route("/<upload_id>", methods=["HEAD"])
def upload(upload_id: str) -> Response:
    found = tus.get_upload(db.session, current_user, upload_id)
    response = _upload_headers(Response(status=200), found, tus.current_offset(_settings().local, found))
    meta = [f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in
            (("filename", found.filename), ("filetype", found.filetype)) if v]
    if meta:
        response.headers["Upload-Metadata"] = ",".join(meta)
    return response


@bp.route("/<upload_id>", methods=["PATCH"])
def append(upload_id: str) -> Response:
    if request.mimetype != "application/offset+octet-stream":
        raise tus.WrongContentType(_("上传数据的类型应为 application/offset+octet-stream。"))
    offset = _int_header("Upload-Offset")
    if offset is None:
        raise Invalid(_("缺少上传位置（Upload-Offset）。"), code="upload_offset_required")
    settings = _settings()
    found = tus.get_upload(db.session, current_user, upload_id)
    length = request.content_length
    if length is not None and length > settings.max_upload:  # the site-wide limit is for forms, not uploads
        raise RequestEntityTooLarge()
    if length is None:  # chunked: werkzeug knows whether the server ended the body
        request.max_content_length = settings.max_upload
        stream = request.stream
        chunks = iter(lambda: stream.read(tus.PIECE), b"")
    else:  # straight from the server: werkzeug's request.stream copies each piece twice more
        chunks = tus.body_pieces(request.environ["wsgi.input"], length)
    spooled = tus.spooled_body(request.environ.get("wsgi.input"), length)
    found = tus.append(db.session, settings.local, found, offset, spooled or chunks, settings.expire_hours,
                       fallback=chunks, bucket=settings.bucket)
    db.session.commit()
    return _upload_headers(Response(status=204), found, found.offset_bytes)


@bp.route("/<upload_id>", methods=["DELETE"])
def terminate(upload_id: str) -> Response:
    found = tus.get_upload(db.session, current_user, upload_id)
    settings = _settings()
    tus.terminate(db.session, settings.local, found, settings.bucket)
    db.session.commit()
    return Response(status=204)
