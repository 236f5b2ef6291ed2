"""Which Web Push subscriptions the server may use. The worker POSTs to whatever URL a browser gave, so a person
could point it at our own network (SSRF): only https:// URLs whose host is, or resolves only to, public addresses
pass. Checked when subscribing and again before each send, since a name's addresses can change. Keys are checked
too: a subscription pywebpush cannot encrypt for is refused at the door, not discovered by the worker."""

from __future__ import annotations

import base64
import ipaddress
import re
import socket
from urllib.parse import urlsplit

resolve = socket.getaddrinfo  # a module attribute so tests can answer for names without a network
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known prefix: its last 32 bits are an IPv4 address
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")


def public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Global and not multicast, looking through IPv6 forms that carry an IPv4 address (mapped, 6to4, NAT64),
    which `is_global` alone lets through on some Python versions."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None and not public_address(inner):
            return False
    return address.is_global and not address.is_multicast


def _addresses(host: str, port: int) -> list[str]:
    """Every address the host resolves to; none when it does not resolve (refused, never guessed)."""
    try:
        return [str(info[4][0]) for info in resolve(host, port, type=socket.SOCK_STREAM)]
    except (OSError, UnicodeError, ValueError):
        return []


def refusal(endpoint: str, private_hosts: str = "") -> str | None:
    """Why the server must not POST to `endpoint` (for the log), or None when it may. `private_hosts`
    (WEBPUSH_PRIVATE_HOSTS, comma-separated) names push services on the site's own network that the operator
    allows by name, http or https."""
    try:
        parts = urlsplit(endpoint)
        host, port = (parts.hostname or "").rstrip(".").lower(), parts.port or 443
    except ValueError:
        return "not a URL"
    if host and host in {name.strip().lower() for name in private_hosts.split(",")}:
        return None if parts.scheme in ("http", "https") else "not http"
    if parts.scheme != "https":
        return "not https"
    if not host or host == "localhost" or host.endswith(".localhost"):
        return "no public host"
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        found = _addresses(host, port)
        if not found:
            return "host does not resolve"
        # a scoped IPv6 answer (fe80::1%eth0) is link-local: cut the zone so it is judged, and refused
        if not all(public_address(ipaddress.ip_address(a.split("%", 1)[0])) for a in found):
            return "host resolves to a non-public address"
        return None
    return None if public_address(literal) else "not a public address"


def _decoded(value: object) -> bytes | None:
    if not isinstance(value, str) or len(value) > 200 or not _BASE64URL.fullmatch(value):
        return None
    try:
        return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except ValueError:
        return None


def valid_keys(p256dh: object, auth: object) -> bool:
    """p256dh is the device's P-256 public key as an uncompressed point (65 bytes, 0x04 first, on the curve) and
    auth a 16-byte secret, both base64url: what RFC 8291 needs to encrypt a push."""
    from cryptography.hazmat.primitives.asymmetric import ec  # here, as pywebpush in delivery: web processes
    # that never see a subscription need not load it

    point, secret = _decoded(p256dh), _decoded(auth)
    if point is None or secret is None or len(point) != 65 or point[0] != 4 or len(secret) != 16:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return False
    return True
