"""Light on data (app/assets.py): text over 1 KB leaves compressed, media and byte ranges never; static files have
fingerprinted URLs cached for a year, HTML always revalidates; every page links the manifest and loads the script
that registers the service worker, which is served from the root and never cached by the browser."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import brotli
import pytest
from flask import Blueprint, Response, send_file
from hypothesis import given
from hypothesis import strategies as st

from app import pagecache
from app.assets import IMMUTABLE

GZIP = {"Accept-Encoding": "gzip"}
STATIC_URL = re.compile(r'(?:href|src|data-sw|data-hls)="(/static/[^"#]+)')
# The pages tests/e2e/test_quality.py renders in the browser, here through the test client.
PUBLIC = ["/", "/auth/login", "/auth/register", "/orgs/330100", "/catalog/", "/catalog/all", "/catalog/menu/skills",
          "/catalog/province", "/search", "/search?q=电工", "/does-not-exist", "/programme/", "/programme/notices",
          "/policy", "/credits/pathways", "/surveys/quality", "/offline"]
WORKER = ["/me", "/me/profile", "/me/password", "/learning", "/credits/", "/credits/recognition/new", "/programme/mine",
          "/enquiries", "/programme/objections"]


@pytest.fixture
def app(app):
    bp = Blueprint("weights", __name__)

    @bp.get("/_text/<int:size>")
    def text(size):
        return "学" * (size // 3), 200, {"Content-Type": "text/plain; charset=utf-8"}

    @bp.get("/_stream")
    def stream():  # a long export written as it is produced
        return Response((f"{n},学员{n}\n" for n in range(5000)), mimetype="text/csv")

    @bp.get("/_proxied")
    def proxied():  # with USE_X_SENDFILE the front proxy sends the file: the body here is empty
        return send_file(Path(app.static_folder) / "css" / "site.css")

    app.register_blueprint(bp)
    return app


def _static_url(client, page: str, name: str) -> str:
    urls = STATIC_URL.findall(client.get(page).get_data(as_text=True))
    return next(u for u in urls if re.search(rf"/{re.escape(name.rsplit('.', 1)[0])}\.[0-9a-f]{{10}}\.", u))


def test_text_over_1_kb_is_compressed_and_small_text_is_not(client):
    big = client.get("/_text/3000", headers=GZIP)
    assert big.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in big.headers["Vary"]
    assert gzip.decompress(big.data).decode() == "学" * 1000
    small = client.get("/_text/900", headers=GZIP)
    assert "Content-Encoding" not in small.headers and small.get_data(as_text=True) == "学" * 300
    plain = client.get("/_text/3000")  # a client that did not ask gets the bytes as they are
    assert "Content-Encoding" not in plain.headers
    br = client.get("/_text/3000", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br" and brotli.decompress(br.data).decode() == "学" * 1000


def test_pages_and_static_text_are_compressed(client):
    page = client.get("/", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip" and "求学" in gzip.decompress(page.data).decode()
    css = client.get(_static_url(client, "/", "css/site.css"), headers=GZIP)
    assert css.status_code == 200 and css.headers["Content-Encoding"] == "gzip"
    assert b"body" in gzip.decompress(css.data)
    with client.get(client.get("/manifest.webmanifest").json["icons"][0]["src"], headers=GZIP) as png:
        assert png.status_code == 200 and "Content-Encoding" not in png.headers  # images are compressed already


def test_a_byte_range_of_a_static_file_is_exact_and_uncompressed(client):
    url = _static_url(client, "/", "css/site.css")
    with client.get(url) as whole, client.get(url, headers={"Range": "bytes=10-2009", **GZIP}) as part:
        assert part.status_code == 206 and "Content-Encoding" not in part.headers
        assert part.data == whole.data[10:2010]


def test_a_streamed_response_is_compressed_as_it_streams(client):
    response = client.get("/_stream", headers=GZIP)
    assert response.is_streamed and response.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in response.headers  # sent chunk by chunk, never held whole
    assert gzip.decompress(response.data).decode() == "".join(f"{n},学员{n}\n" for n in range(5000))


def test_a_file_sent_by_the_front_proxy_is_left_alone(app, client):
    app.config["USE_X_SENDFILE"] = True
    with client.get("/_proxied", headers=GZIP) as response:
        assert response.headers["X-Sendfile"].endswith("site.css") and int(response.headers["Content-Length"]) > 1024
        assert "Content-Encoding" not in response.headers and response.data == b""


def test_fingerprinted_static_files_are_immutable_others_revalidate(app, client):
    url = _static_url(client, "/", "css/site.css")
    with client.get(url) as fresh:
        assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == IMMUTABLE
        with client.get("/static/css/site.css") as plain:  # the bare name (an old bookmark): revalidated
            assert plain.data == fresh.data and plain.headers["Cache-Control"] == "no-cache"
        with client.get(re.sub(r"\.[0-9a-f]{10}\.", ".0123456789.", url)) as stale:  # a page from before a deploy
            assert stale.data == fresh.data and stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/nothing.0123456789.css").status_code == 404
    assert client.get("/static/../app/config.py").status_code == 404


def test_a_changed_file_gets_a_new_url(app, client, tmp_path):
    """After a deploy the URL changes with the bytes, so no phone keeps the old stylesheet."""
    from app.assets import Fingerprints

    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("a { color: red }")
    prints = Fingerprints(tmp_path)
    before, version = prints.url_name("css/a.css"), prints.version()
    (tmp_path / "css" / "a.css").write_text("a { color: blue; }")
    assert prints.url_name("css/a.css") != before and prints.version() != version
    assert prints.split(prints.url_name("css/a.css")) == ("css/a.css", prints.digest("css/a.css"))


def test_every_page_is_html_that_revalidates_links_the_manifest_and_registers_the_worker(client, auth):
    def check(url: str) -> None:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        body = response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-cache", url
        assert '<link rel="manifest" href="/manifest.webmanifest">' in body, url
        assert re.search(r'<script src="/static/js/site\.[0-9a-f]{10}\.js" data-sw="/sw.js" defer>', body), url
        for static in STATIC_URL.findall(body):  # every asset a page names is fingerprinted and immutable
            assert re.search(r"\.[0-9a-f]{10}\.\w+$", static), (url, static)
            with client.get(static) as fetched:
                assert fetched.headers["Cache-Control"] == IMMUTABLE, static

    for url in PUBLIC:
        check(url)
    auth.as_role("worker")
    for url in WORKER:
        check(url)


def test_the_manifest_installs_the_site_on_learning(client):
    response = client.get("/manifest.webmanifest", headers=GZIP)
    assert response.mimetype == "application/manifest+json" and response.headers["Cache-Control"] == "no-cache"
    data = json.loads(gzip.decompress(response.data) if response.headers.get("Content-Encoding") else response.data)
    assert data["start_url"] == "/learning" and data["display"] == "standalone" and data["short_name"] == "求学"
    assert data["lang"].startswith("zh") and data["name"].startswith("求学")
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        with client.get(icon["src"]) as fetched:
            assert fetched.status_code == 200 and fetched.headers["Cache-Control"] == IMMUTABLE


def test_the_service_worker_is_served_from_the_root_and_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    config = json.loads(re.match(r"self\.QIUXUE = (.*);\n", body).group(1))
    assert re.fullmatch(r"[0-9a-f]{12}", config["version"]) and config["offline"] == "/offline"
    for url in config["shell"]:  # what it keeps at install: all there, all fingerprinted
        with client.get(url) as fetched:
            assert fetched.headers["Cache-Control"] == IMMUTABLE
    assert "Service-Worker-Allowed" not in response.headers  # its place (/) is its scope
    for headers in ({}, GZIP):  # the browser checks for a new worker often: unchanged, it costs no body
        first = client.get("/sw.js", headers=headers)
        again = client.get("/sw.js", headers={"If-None-Match": first.headers["ETag"], **headers})
        assert again.status_code == 304 and again.data == b""
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_page_cache_keeps_one_copy_per_encoding(app, client):
    """A visitor whose browser cannot decompress never gets the gzip copy another visitor left in the cache."""
    app.extensions["page_cache"].ttl = 60
    pagecache.cacheable(app, "weights.text")
    first = client.get("/_text/3000", headers=GZIP)
    hit = client.get("/_text/3000", headers=GZIP)
    assert hit.headers["X-Page-Cache"] == "hit" and hit.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(hit.data) == gzip.decompress(first.data)
    plain = client.get("/_text/3000")
    assert "Content-Encoding" not in plain.headers and plain.get_data(as_text=True) == "学" * 1000
    assert client.get("/_text/3000").headers["X-Page-Cache"] == "hit"
    br = client.get("/_text/3000", headers={"Accept-Encoding": "br"})
    assert brotli.decompress(br.data).decode() == "学" * 1000


@given(stem=st.text(st.sampled_from("abc.-_学0123456789"), min_size=1, max_size=20).filter(
           lambda s: not s.startswith(".") and not s.endswith(".")),
       ext=st.sampled_from([".css", ".js", ".svg", ".png", ".0123456789", ""]))
def test_a_fingerprinted_name_always_leads_back_to_its_file(stem, ext):
    """Whatever the file is called (dots, digits, a name that itself looks fingerprinted), the URL name maps back
    to it and to its current digest; an existing file is always served as itself."""
    import tempfile

    from app.assets import Fingerprints

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "d").mkdir()
        name = f"d/{stem}{ext}"
        (root / name).write_text("x")
        prints = Fingerprints(root)
        real, asked = prints.split(prints.url_name(name))
        assert real == name
        assert asked == prints.digest(name) or (asked is None and prints.url_name(name) == name)  # no extension
        assert prints.split(name) == (name, None)


def test_a_static_url_built_for_pages_is_kept_a_second_then_follows_the_file(tmp_path):
    """Pages ask for the same few files on every request: the answer is reused, yet an edit shows within a second."""
    from app.assets import Fingerprints

    (tmp_path / "a.css").write_text("a { color: red }")
    prints = Fingerprints(tmp_path)
    first = prints.url_name_now("a.css")
    (tmp_path / "a.css").write_text("a { color: blue; }")
    assert prints.url_name_now("a.css") == first  # kept
    prints._urls["a.css"] = (0.0, first)  # as it stands a second later
    assert prints.url_name_now("a.css") == prints.url_name("a.css") != first
