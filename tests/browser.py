"""Browser journeys: the real site served by waitress on a loopback port, driven by Debian's
Chromium through Playwright at a 360x740 phone viewport. A failing journey leaves a screenshot
and the page HTML under test-artifacts/."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def _chromium() -> str | None:
    return os.environ.get("QIUXUE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    executable = _chromium()
    if not executable:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)  # bound here: no port to lose
    port = server.effective_port

    def serve() -> None:
        with contextlib.suppress(OSError):  # the loop may be inside select() when teardown closes its sockets
            server.run()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, live_server, request):
    # The site's service worker runs as on a phone, except for tests that answer requests with page.route (a page
    # the worker controls fetches through it, past the route): they are marked no_service_worker.
    workers = "block" if request.node.get_closest_marker("no_service_worker") else "allow"
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN", base_url=live_server,
                                  service_workers=workers)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    outside: list[str] = []
    page.on("request", lambda req: None if req.url.startswith((live_server, "data:", "blob:"))
            else outside.append(req.url))
    page.js_errors, page.outside_requests = errors, outside  # type: ignore[attr-defined]
    # A click that navigates returns once the next page has committed, before it is parsed: reading the document
    # then sees half a page. content() waits for the page it reads to be parsed (at once when it already is).
    read_document = page.content
    page.content = lambda: (page.wait_for_load_state("domcontentloaded"), read_document())[1]  # type: ignore[method-assign]
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        stem = ARTIFACTS / request.node.name
        page.screenshot(path=f"{stem}.png", full_page=True)
        Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def login(app, page):
    """Log the browser in as a new user of `role` through the real login form; returns the phone."""
    from app.extensions import db
    from tests import factories

    def _login(role: str = "worker", org_code: str | None = None) -> str:
        with app.app_context():
            user = factories.user(role, org_code)
            phone = user.phone
            db.session.commit()
        page.goto("/auth/login")
        page.get_by_label("手机号").fill(phone)
        page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        return phone

    return _login
