"""Behind a reverse proxy (nginx, a load balancer): trust its X-Forwarded-* headers, and only as many hops of them
as configured, with Werkzeug's ProxyFix. With it the request says the public scheme and host (so every link built
with `url_for(..., _external=True)` — QR codes, certificates' verification URLs, xAPI IRIs, OAI — is the public
https:// one) and `request.remote_addr` is the client's address (throttles, logs, /metrics). With the counts at 0
(the default) the headers are ignored: anyone can send them, so a site reached directly must not believe them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:  # for the annotations only
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def hops(config: Any) -> tuple[int, int, int]:
    """(X-Forwarded-For, -Proto, -Host) hops to trust; PROXY_HOPS is the older name of the first."""
    return (max(int(config["PROXY_FIX_X_FOR"]), int(config.get("PROXY_HOPS", 0))),
            int(config["PROXY_FIX_X_PROTO"]), int(config["PROXY_FIX_X_HOST"]))


class TrustedProxies:
    """WSGI middleware: ProxyFix with the configured counts, read per request (a test may change them), built once
    per distinct setting."""

    def __init__(self, app: Flask, wsgi: WSGIApplication):
        self.app, self.wsgi = app, wsgi
        self._fixes: dict[tuple[int, int, int], ProxyFix] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        counts = hops(self.app.config)
        if not any(counts):
            return self.wsgi(environ, start_response)
        fix = self._fixes.get(counts)
        if fix is None:
            x_for, x_proto, x_host = counts
            fix = self._fixes[counts] = ProxyFix(self.wsgi, x_for=x_for, x_proto=x_proto, x_host=x_host)
        return fix(environ, start_response)


def init_app(app: Flask) -> None:
    app.wsgi_app = TrustedProxies(app, app.wsgi_app)  # type: ignore[method-assign]
