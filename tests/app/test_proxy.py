"""Behind a proxy (app/proxy.py): with the hops configured, links the site builds say the public https:// host and
throttles see the client's address; without them, forged X-Forwarded-* headers change nothing."""

from __future__ import annotations

import re

import pytest

from app.accounts.views import client_source

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "qiuxue.example.cn",
             "X-Forwarded-For": "203.0.113.50"}


def _oai_base(client) -> str:
    body = client.get("/oai", query_string={"verb": "Identify"}, headers=FORWARDED).get_data(as_text=True)
    return re.search(r"<baseURL>([^<]+)</baseURL>", body).group(1)


def test_links_say_the_public_https_host_when_the_proxy_is_trusted(app, client):
    app.config.update(PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1, PROXY_FIX_X_HOST=1)
    assert _oai_base(client) == "https://qiuxue.example.cn/oai"
    with client:
        client.get("/.well-known/security.txt", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert client_source() == "203.0.113.50"


def test_forwarded_headers_are_ignored_when_no_proxy_is_configured(app, client):
    """The default: a visitor reaching the site directly cannot pick the host of its links or their address."""
    assert _oai_base(client) == "http://localhost/oai"
    with client:
        client.get("/.well-known/security.txt", headers=FORWARDED, environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert client_source() == "10.0.0.2"


@pytest.mark.parametrize(("x_for", "forwarded", "expected"), [
    (1, "198.51.100.1, 203.0.113.50", "203.0.113.50"),  # the first entry is the client's claim; ours is the last
    (2, "198.51.100.1, 203.0.113.50", "198.51.100.1"),  # two proxies: CDN then nginx
    (2, "203.0.113.50", "10.0.0.2"),                    # fewer entries than proxies: the peer, not a guess
])
def test_only_the_configured_hops_are_believed(app, client, x_for, forwarded, expected):
    app.config["PROXY_FIX_X_FOR"] = x_for
    with client:
        client.get("/", headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
        assert client_source() == expected


def test_the_proto_alone_can_be_trusted(app, client):
    app.config["PROXY_FIX_X_PROTO"] = 1
    assert _oai_base(client) == "https://localhost/oai"  # X-Forwarded-Host is still not believed
