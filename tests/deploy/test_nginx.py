"""deploy/nginx/qiuxue.conf is a site nginx accepts (`nginx -t`), with a self-signed certificate made here: the
site file as shipped, only its certificate, cache and log paths pointed into the test's folder. Then nginx runs it
in front of the site (its ports and upstream pointed at the test's): redirect to https, compression, the request
id, caching of static files, the upload sizes."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.hosts import NGINX_BIN, free_port

SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "qiuxue.conf"
NGINX = NGINX_BIN

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="no nginx on this machine (Debian package `nginx`; .ci/system-deps)"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl to make the test certificate"),
]


def _self_signed(folder: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=learn.example.org", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)


def _configure(folder: Path, site: str) -> Path:
    """nginx.conf around the site, every path of it inside `folder`."""
    _self_signed(folder)
    for shipped, here in (("/etc/ssl/qiuxue/", f"{folder}/"), ("/var/cache/nginx/qiuxue", f"{folder}/cache"),
                          ("/var/log/nginx/", f"{folder}/"), ("/var/www/letsencrypt", f"{folder}/acme"),
                          ("/var/lib/qiuxue/media/", f"{folder}/media/")):
        assert shipped in site, f"the site no longer names {shipped}: update this test"
        site = site.replace(shipped, here)
    (folder / "qiuxue.conf").write_text(site, encoding="utf-8")
    temp = {name: folder / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    # as root, nginx's workers would run as `nobody`, who may not enter the test's folder
    user = "user root;\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}pid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"    access_log {folder}/access.log;\n"
        + "".join(f"    {name}_temp_path {path};\n" for name, path in temp.items())
        + f"    include {folder}/qiuxue.conf;\n"
        "}\n", encoding="utf-8")
    return folder / "nginx.conf"


def test_nginx_accepts_the_site(tmp_path: Path):
    conf = _configure(tmp_path, SITE.read_text(encoding="utf-8"))
    checked = subprocess.run([NGINX, "-t", "-p", f"{tmp_path}/", "-c", str(conf)],
                             capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    # nginx 1.25.1 and later prefer `http2 on;`, which 1.22 (Debian 12) does not know: that warning alone is fine
    warnings = [line for line in checked.stderr.splitlines()
                if "[warn]" in line and '"http2" directive is deprecated' not in line]
    assert warnings == [], checked.stderr


def test_nginx_in_front_of_the_site(tmp_path: Path, live_server: str):
    http, https = free_port(), free_port()
    site = SITE.read_text(encoding="utf-8")
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http};")
    site = re.sub(r"(upstream qiuxue_web \{.*?)(\n\s*server [^;]+;)+", lambda m: m.group(1) + "\n    server "
                  + live_server.removeprefix("http://") + ";", site, count=1, flags=re.S)
    conf = _configure(tmp_path, site)
    nginx = subprocess.Popen([NGINX, "-p", f"{tmp_path}/", "-c", str(conf), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base, cert = f"https://127.0.0.1:{https}", str(tmp_path / "fullchain.pem")
    try:
        _wait_for(nginx, https)
        moved = requests.get(f"http://127.0.0.1:{http}/courses?page=2", allow_redirects=False, timeout=10)
        assert moved.status_code == 301
        assert moved.headers["Location"] == "https://127.0.0.1/courses?page=2"

        home = requests.get(base + "/", headers={"Accept-Encoding": "gzip"}, verify=cert, timeout=10)
        assert home.status_code == 200
        assert home.headers["Content-Encoding"] == "gzip"
        assert re.fullmatch(r"[0-9a-f]{32}", home.headers["X-Request-ID"])  # nginx's own id
        kept = requests.get(base + "/healthz", headers={"X-Request-ID": "cdn-0123456789"}, verify=cert, timeout=10)
        assert kept.headers["X-Request-ID"] == "cdn-0123456789"
        odd = requests.get(base + "/healthz", headers={"X-Request-ID": "x y"}, verify=cert, timeout=10)
        assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-ID"])

        css = re.search(r"/static/css/site\.[0-9a-f]{10}\.css", home.text).group(0)
        first, again = (requests.get(base + css, verify=cert, timeout=10) for _ in range(2))
        assert (first.status_code, again.status_code) == (200, 200)
        assert again.headers["X-Cache-Status"] == "HIT"
        assert again.content == first.content

        assert requests.get(base + "/metrics", verify=cert, timeout=10).status_code == 404
        # a tus PATCH of 9 MiB reaches the app; a 21 MiB form does not
        patch = requests.patch(base + "/api/v1/uploads/nope", data=b"x" * (9 << 20), verify=cert, timeout=30,
                               headers={"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                                        "Content-Type": "application/offset+octet-stream"})
        assert patch.status_code == 401, patch.text  # the app's answer: nobody is logged in
        big = requests.post(base + "/auth/login", data=b"x" * (21 << 20), verify=cert, timeout=30)
        assert big.status_code == 413
    finally:
        nginx.terminate()
        nginx.wait(10)
        nginx.stderr.close()


def _wait_for(nginx: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if nginx.poll() is not None:
            pytest.fail(f"nginx stopped: {nginx.stderr.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail("nginx did not listen within 20 s")


def test_the_site_says_what_the_deployment_needs():
    """The parts docs/deploy.md relies on, so an edit that drops one is noticed."""
    site = SITE.read_text(encoding="utf-8")
    uploads = site[site.index("location /api/v1/uploads"):]
    uploads = uploads[:uploads.index("}")]
    assert "client_max_body_size 64m;" in uploads and "proxy_request_buffering off;" in uploads
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert f"proxy_set_header {header} " in site
    for line in ("listen 443 ssl http2;", "gzip on;", "proxy_cache qiuxue_cache;", "return 301 https://"):
        assert line in site
