"""deploy/nginx/qiuxue.conf is a site nginx accepts (`nginx -t`), with a self-signed certificate made here: the
site file as shipped, only its certificate, cache and log paths pointed into the test's folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "qiuxue.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()),
                                      None)

pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="no nginx on this machine (Debian package `nginx`; .ci/system-deps)"),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl to make the test certificate"),
]


def _self_signed(folder: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", "/CN=learn.example.org", "-keyout", str(folder / "privkey.pem"),
                    "-out", str(folder / "fullchain.pem")], check=True, capture_output=True, timeout=60)


def test_nginx_accepts_the_site(tmp_path: Path):
    _self_signed(tmp_path)
    site = SITE.read_text(encoding="utf-8")
    for shipped, here in (("/etc/ssl/qiuxue/", f"{tmp_path}/"), ("/var/cache/nginx/qiuxue", f"{tmp_path}/cache"),
                          ("/var/log/nginx/", f"{tmp_path}/"), ("/var/www/letsencrypt", f"{tmp_path}/acme"),
                          ("/var/lib/qiuxue/media/", f"{tmp_path}/media/")):
        assert shipped in site, f"the site no longer names {shipped}: update this test"
        site = site.replace(shipped, here)
    (tmp_path / "qiuxue.conf").write_text(site, encoding="utf-8")
    temp = {name: tmp_path / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        f"    access_log {tmp_path}/access.log;\n"
        + "".join(f"    {name}_temp_path {path};\n" for name, path in temp.items())
        + f"    include {tmp_path}/qiuxue.conf;\n"
        "}\n", encoding="utf-8")
    checked = subprocess.run([NGINX, "-t", "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    # nginx 1.25.1 and later prefer `http2 on;`, which 1.22 (Debian 12) does not know: that warning alone is fine
    warnings = [line for line in checked.stderr.splitlines()
                if "[warn]" in line and '"http2" directive is deprecated' not in line]
    assert warnings == [], checked.stderr


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
