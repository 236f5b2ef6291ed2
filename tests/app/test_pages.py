"""Pages in the layout, error pages, health check, security headers and the language switch."""

import pytest
from flask import Blueprint, abort

from app import create_app
from app.db import utcnow
from app.extensions import db
from app.security import safe_next
from tests.conftest import post_form


@pytest.fixture
def app(app):
    """The app plus routes that fail on purpose, to see each error page."""
    bp = Blueprint("boom", __name__)

    @bp.get("/_own_frame_rule")
    def own_frame_rule():
        return "ok", 200, {"X-Frame-Options": "SAMEORIGIN"}

    @bp.get("/_boom/<int:code>")
    def boom(code):
        if code == 500:
            raise RuntimeError("boom")
        abort(code)

    app.register_blueprint(bp)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize(("code", "title"), [(400, "请求有误"), (403, "没有权限"), (404, "页面不存在"),
                                             (413, "上传内容过大"), (429, "操作太频繁"), (500, "服务器出错了")])
def test_error_pages_are_in_the_layout(client, code, title):
    response = client.get(f"/_boom/{code}")
    body = response.get_data(as_text=True)
    assert response.status_code == code
    assert f"{code} · {title}" in body and 'class="tabbar"' in body and "返回首页" in body


def test_api_errors_are_json_with_a_stable_code(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"error": {"code": "not_found", "message": "您要找的页面不存在，可能已被移除。"}}


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "storage": "ok"}


def test_security_txt_says_where_to_report_a_vulnerability(app, client):
    """RFC 9116: a Contact line from SECURITY_CONTACT and an Expires date in the future, as docs/security.md says."""
    app.config["SECURITY_CONTACT"] = "mailto:psirt@example.org"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    fields = dict(line.split(": ", 1) for line in response.get_data(as_text=True).splitlines())
    assert fields["Contact"] == "mailto:psirt@example.org"
    assert fields["Expires"] > utcnow().isoformat()


def test_security_headers_on_every_page(client):
    for url in ("/", "/auth/login", "/healthz", "/does-not-exist"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_a_view_keeps_its_own_security_header_and_hsts_comes_only_over_https(app, client):
    headers = client.get("/_own_frame_rule").headers
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"] and headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in headers
    secure = create_app({**{k: app.config[k] for k in ("TESTING", "DATA_DIR", "SECRET_KEY", "DATABASE_URL",
                                                       "SHARED_PARTS_LISTEN")}, "HTTPS": True})
    assert secure.test_client().get("/healthz").headers["Strict-Transport-Security"] == "max-age=31536000"
    with secure.app_context():
        db.engine.dispose()


def test_sessions_signed_with_a_retired_key_still_work_after_the_key_changes(app, client, auth):
    auth.as_role("worker")
    assert client.get("/me").status_code == 200
    app.config["SECRET_KEY_FALLBACKS"], app.secret_key = ["test-secret"], "a-new-secret"
    assert client.get("/me").status_code == 200  # the old cookie, checked against the fallback key
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert client.get("/me").status_code == 302  # no longer accepted: back to the login page


def test_pages_fetch_nothing_from_other_hosts(client):
    for url in ("/", "/auth/login", "/auth/register"):
        body = client.get(url).get_data(as_text=True)
        assert "http://" not in body and "https://" not in body and "<script>" not in body


def test_home_has_the_bottom_navigation_in_chinese(client):
    body = client.get("/").get_data(as_text=True)
    for label in ("首页", "目录", "搜索", "学习", "我的"):
        assert f"<span>{label}</span>" in body
    assert '<html lang="zh-Hans-CN">' in body


def test_language_switch_to_english_and_back(client):
    response = client.get("/lang/en?next=/auth/login")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    body = client.get("/auth/login").get_data(as_text=True)
    assert "Log in" in body and "Mobile number" in body and '<html lang="en">' in body
    client.get("/lang/zh_CN?next=/")
    assert "登录" in client.get("/").get_data(as_text=True)


def test_language_switch_ignores_unknown_languages_and_foreign_next(client):
    response = client.get("/lang/xx?next=https://evil.example/")
    assert response.headers["Location"] == "/"
    assert "lang=" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize(("target", "expected"), [
    ("/me", "/me"), ("/catalog?page=2", "/catalog?page=2"), (None, "/"), ("", "/"),
    ("https://evil.example", "/"), ("//evil.example", "/"), ("/\\evil.example", "/"), ("\\\\evil", "/"),
    ("javascript:alert(1)", "/"), ("me", "/"), ("/ok\r\nSet-Cookie: x", "/"), ("http:evil", "/"),
])
def test_safe_next(app, target, expected):
    with app.test_request_context():
        assert safe_next(target) == expected


def test_oversized_request_body_is_refused(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/auth/login", data={"phone": "1" * 5000})
    assert response.status_code == 413 and "上传内容过大" in response.get_data(as_text=True)


def test_nul_characters_are_refused_clearly(client, db):
    from app.accounts.models import User

    response = post_form(client, "/auth/register", {"phone": "13912345678", "password": "long-enough",
                                                    "code": "12\x003456", "action": "register"})
    assert response.status_code == 400 and "无效字符" in response.get_data(as_text=True)
    assert db.session.query(User).count() == 0
    assert client.get("/?q=%00").status_code == 400
