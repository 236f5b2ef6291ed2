"""/readyz for load balancers and /metrics for Prometheus (to METRICS_ALLOW only). /healthz (alive) is app/views.py.
Both answer on every host: what they say is this host's."""

from __future__ import annotations

import ipaddress
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from flask_babel import gettext as _
from prometheus_client import CONTENT_TYPE_LATEST

from app.errors import Forbidden
from app.observability import metrics, readiness

bp = Blueprint("ops", __name__)
log = logging.getLogger(__name__)


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 when the database, storage and this host's search replica are ready; 503 naming what is not."""
    answer = readiness.answer(current_app._get_current_object())  # type: ignore[attr-defined]
    response = jsonify(answer.body())
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if answer.ready else 503


def allowed(address: str, allow: str) -> bool:
    """Whether `address` is in METRICS_ALLOW (addresses or networks, comma separated)."""
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(client, ipaddress.IPv6Address) and client.ipv4_mapped is not None:
        client = client.ipv4_mapped
    for part in (p.strip() for p in allow.split(",")):
        try:
            if part and client in ipaddress.ip_network(part, strict=False):
                return True
        except ValueError:
            log.warning("METRICS_ALLOW has an entry that is not an address or network: %r", part)
    return False


@bp.get("/metrics")
def metrics_text() -> Response:
    """Prometheus text format. The client address is the one app/proxy.py trusts (behind a proxy, the real one)."""
    if not allowed(request.remote_addr or "", str(current_app.config["METRICS_ALLOW"])):
        raise Forbidden(_("您没有权限查看或修改这里的内容。"))
    response = Response(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
