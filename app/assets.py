"""Light on data: compressed text, fingerprinted static files, the web app manifest and the service worker.

- Every text response over 1 KB leaves compressed (Flask-Compress: brotli or gzip, as the browser asks), never
  a media file (playlists, segments, MP4) and never a Range answer, so seeking in a video keeps working.
- `url_for('static', filename='css/site.css')` gives `/static/css/site.<digest>.css`, the digest taken from the
  file's bytes. Such a URL names one version for ever, so it is cached for a year as immutable; a deploy changes
  the digest and so the URL. An old page asking for a digest that is no longer current still gets the file, but
  with `no-cache`. We do it in the app rather than with a build step so a fresh clone (and every test) serves
  the same URLs with nothing to compile first; whitenoise or Flask-Static-Digest would need a generated copy.
- HTML is `no-cache`: the browser revalidates, so a deploy is never hidden behind a stale page.
- /manifest.webmanifest and /sw.js (served from the root, so the worker's scope is the whole site, always
  revalidated so a deploy reaches it). The worker's cache name carries the fingerprint of every static file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, send_from_directory
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_compress import Compress
from flask_compress.flask_compress import _choose_algorithm, _compress_data
from werkzeug.wrappers import Response as WerkzeugResponse

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MIN_SIZE = 1024
TEXT_TYPES = ["text/html", "text/css", "text/plain", "text/csv", "text/xml", "text/javascript",
              "application/javascript", "application/json", "application/manifest+json", "application/xml",
              "application/atom+xml", "application/ld+json", "image/svg+xml"]
DIGEST = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<ext>\.[^./]+)$")
# What the service worker keeps from the start, so the site opens offline: the look, the icons, the offline page.
RECHECK_S = 1.0  # how long a static URL built for a page is reused before the file is looked at again
SHELL = ("css/site.css", "js/site.js", "icons/tabs.svg", "icons/favicon.svg")

bp = Blueprint("assets", __name__)


# Each file's digest by what it is on disk (path, inode, time, size): shared by every Fingerprints of the process (a
# test process makes an app, and reads the folder, for each of its ~1,000 tests: 29 files hashed each time).
_DIGESTS: dict[tuple[str, int, int, int], str] = {}


class Fingerprints:
    """Each static file's digest, read again only when the file changes (size or time), so `make dev` edits show.
    The whole folder's `version` is worked out once, at start, unless `watch` (`make dev`, debug): then again at
    most once a second, on a page (it walks the folder: ~3% of a page when done on a request)."""

    def __init__(self, folder: Path, watch: bool = True):
        self.folder, self.watch = folder, watch
        self._version: str | None = None
        self._sizes: dict[str, int] = {}
        self._urls: dict[str, tuple[float, str]] = {}

    def digest(self, name: str) -> str | None:
        path = self.folder / name
        try:
            stat = path.stat()
        except (OSError, ValueError):
            return None
        if not path.is_file() or not path.resolve().is_relative_to(self.folder.resolve()):
            return None
        key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
        known = _DIGESTS.get(key)
        if known is None:
            known = _DIGESTS[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        return known

    def url_name(self, name: str) -> str:
        digest = self.digest(name)
        if digest is None:
            return name
        stem, ext = os.path.splitext(name)
        return f"{stem}.{digest}{ext}" if ext else name

    def url_name_now(self, name: str) -> str:
        """`url_name` for building a page: the answer is kept for a second (a page asks for the same few files on
        every request, and a `stat` with two path resolutions each time was ~1 ms of a page), so an edited file
        still shows within a second under `make dev`."""
        return self._for_a_second(name, lambda: self.url_name(name))

    def split(self, requested: str) -> tuple[str, str | None]:
        """(the file on disk, the digest the URL asked for, if any)."""
        match = DIGEST.match(requested)
        if match is None or (self.folder / requested).is_file():
            return requested, None
        return match["stem"] + match["ext"], match["digest"]

    def transfer_size(self, name: str, encoding: str) -> int:
        """What the file costs on the wire when sent with `encoding` (as `light` below compresses it)."""
        key = f"{name}:{self.digest(name)}:{encoding}"
        if key not in self._sizes:
            data = (self.folder / name).read_bytes()
            self._sizes[key] = len(data if encoding == "identity" else _compress_data(current_app, data, encoding))
        return self._sizes[key]

    def version(self) -> str:
        """One fingerprint for the whole static folder: the service worker's cache name."""
        names = sorted(str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file())
        return hashlib.sha256("".join(f"{n}:{self.digest(n)}" for n in names).encode()).hexdigest()[:12]

    def version_now(self) -> str:
        """`version` for building a page: part of the key of cached layout pieces, which name static files. Worked
        out once when not watching (a deploy starts new processes); kept for a second like `url_name_now` when
        watching, so an edited file shows on the next page under `make dev`."""
        if not self.watch:
            if self._version is None:
                self._version = self.version()
            return self._version
        return self._for_a_second("\0version", self.version)  # not a file name

    def _for_a_second(self, name: str, compute: Callable[[], str]) -> str:
        """`compute()`, kept for RECHECK_S under `name`."""
        now = time.monotonic()
        known = self._urls.get(name)
        if known is None or known[0] < now:
            known = (now + RECHECK_S, compute())
            self._urls[name] = known
        return known[1]


def fingerprints() -> Fingerprints:
    return cast(Fingerprints, current_app.extensions["fingerprints"])


def serve_static(filename: str) -> Response:
    """The app's static view: fingerprinted names are immutable, anything else (or a stale digest) revalidates."""
    prints = fingerprints()
    real, asked = prints.split(filename)
    current = prints.digest(real)
    if current is None:
        abort(404)
    response = send_from_directory(prints.folder, real)
    response.headers["Cache-Control"] = IMMUTABLE if asked is not None and asked == current else REVALIDATE
    return response


def _revalidated(body: str, mimetype: str) -> WerkzeugResponse:
    """Asked again on every check for an update, so an unchanged answer is a bodiless 304."""
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = REVALIDATE
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:20])
    return response.make_conditional(request)


@bp.get("/manifest.webmanifest")
def manifest() -> WerkzeugResponse:
    """What the phone needs to put 求学 on the home screen: it opens on 我的学习."""
    icon = fingerprints().url_name
    body = {
        "name": _("求学 · 职工学历技能双提升"), "short_name": _("求学"), "lang": str(get_locale()).replace("_", "-"),
        "id": "/", "start_url": "/learning", "scope": "/", "display": "standalone",
        "theme_color": "#b71c1c", "background_color": "#ffffff",
        "icons": [{"src": f"/static/{icon(f'icons/icon-{s}.png')}", "sizes": f"{s}x{s}", "type": "image/png",
                   "purpose": "any maskable"} for s in (192, 512)]
                 + [{"src": f"/static/{icon('icons/favicon.svg')}", "sizes": "any", "type": "image/svg+xml"}],
    }
    return _revalidated(json.dumps(body, ensure_ascii=False), "application/manifest+json")


@bp.get("/sw.js")
def service_worker() -> WerkzeugResponse:
    """The worker's script with this deploy's version and shell URLs in front; any change makes a new worker."""
    prints = fingerprints()
    config = {"version": prints.version(), "offline": "/offline",
              "shell": [f"/static/{prints.url_name(name)}" for name in SHELL]}
    source = (prints.folder / "js" / "sw.js").read_text(encoding="utf-8")
    return _revalidated(f"self.QIUXUE = {json.dumps(config)};\n{source}", "text/javascript")


@bp.get("/offline")
def offline() -> str:
    """What the service worker shows for a page it does not keep, when there is no network."""
    return render_template("offline.html")


def _compressible(response: Response) -> bool:
    """Not an answer to a byte range (206 must be exact), and not a file a front proxy sends (X-Accel-Redirect,
    X-Sendfile: the body here is empty and the proxy would send the file raw under our Content-Encoding)."""
    return ("Range" not in request.headers and response.status_code != 206
            and "X-Accel-Redirect" not in response.headers and "X-Sendfile" not in response.headers)


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder or "static")
    prints = Fingerprints(folder, watch=app.debug)
    prints.version_now()  # worked out now rather than on the first page
    app.extensions["fingerprints"] = prints
    app.view_functions["static"] = serve_static
    app.register_blueprint(bp)

    @app.template_global()
    def static_transfer_size(name: str) -> int:
        """For the player's data figure: hls.js as this browser will receive it (static/js/player.js)."""
        return cast(Fingerprints, app.extensions["fingerprints"]).transfer_size(name, encoding())

    @app.url_defaults
    def fingerprint_static(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = app.extensions["fingerprints"].url_name_now(values["filename"])

    for key, value in (("COMPRESS_MIMETYPES", TEXT_TYPES), ("COMPRESS_MIN_SIZE", MIN_SIZE),
                       ("COMPRESS_ALGORITHM", ["br", "gzip"]), ("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"]),
                       ("COMPRESS_REGISTER", False)):
        app.config.setdefault(key, value)
    compress = Compress(app)
    app.extensions["compress"] = compress

    @app.after_request
    def light(response: Response) -> Response:
        """HTML revalidates; text over 1 KB is compressed, as the browser asked, when it may be."""
        if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = REVALIDATE
        if not _compressible(response):
            response.vary.add("Accept-Encoding")
            return response
        if response.direct_passthrough and response.mimetype in TEXT_TYPES:
            # A file (static, send_file): read it whole and close it now, so it is compressed at once (compressing
            # the open file as a stream would leave it open after the response).
            opened = response.response
            response.direct_passthrough = False
            response.response = list(response.iter_encoded())
            if hasattr(opened, "close"):
                opened.close()
        return compress.after_request(response)


def encoding() -> str:
    """The encoding this request's response gets, for caches that keep one copy per encoding (app/pagecache.py)."""
    algorithms = current_app.extensions["compress"].enabled_algorithms
    chosen = _choose_algorithm(algorithms, request.headers.get("Accept-Encoding", ""))
    return chosen or "identity"
