"""The installable site on a phone-sized Chromium: the service worker installs from the first page, keeps the
signed-in worker's 我的学习, and without network the site opens on it with the 离线 banner (a page it does not keep
shows the offline page). Progress made offline waits in the lesson page's queue and reaches the server when the
connection returns. Signing out forgets the kept list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from learning.models import LessonProgress
from tests.learning.conftest import make_course
from tests.waiting import wait_in_page

pytestmark = pytest.mark.browser


def _reading_course(app) -> tuple[int, int]:
    from app.accounts.policy import SYSTEM
    from learning import completion

    with app.app_context():
        resource = make_course(title="离线也能看的课", videos=(), reading=True, external=False)
        completion.save_rules(db.session, SYSTEM, resource, "90", "2")  # two seconds on the page is enough here
        db.session.commit()
        return resource.id, resource.lessons[0].id


def test_installs_opens_offline_on_my_learning_and_syncs_progress_later(app, page, login):
    resource_id, lesson_id = _reading_course(app)
    manifest = page.request.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/learning"
    login("worker")
    page.goto(f"/catalog/r/{resource_id}")
    page.get_by_role("button", name="立即学习").click()
    page.wait_for_url(re.compile(rf".*/learning/lessons/{lesson_id}.*"))
    wait_in_page(page, "!!navigator.serviceWorker.controller")  # installed, active, and in charge of this page
    assert page.locator(".offline-banner").is_hidden()
    page.goto("/learning")  # online: the fresh list, which the worker keeps
    assert "离线也能看的课" in page.locator("main").inner_text()
    wait_in_page(page, "caches.open('qiuxue-pages').then(c => c.match('/learning')).then(r => !!r)")

    page.context.set_offline(True)
    for url in ("/", "/learning"):  # the home screen icon opens /learning; the bare site too
        page.goto(url)
        expect(page.locator(".offline-banner")).to_be_visible()
        assert "离线" in page.locator(".offline-banner").inner_text()
        assert page.locator(".offline-banner[data-copy]").count() == 1  # it stays up while this copy is shown
        assert "离线也能看的课" in page.locator("main").inner_text() and "我的学习" in page.locator("h1").inner_text()
        assert page.evaluate("getComputedStyle(document.querySelector('.tabbar')).position") == "fixed"  # styled
    page.goto("/catalog/")  # a page not kept: said plainly, with the way to 我的学习
    assert "现在没有网络" in page.locator("main").inner_text()
    page.get_by_role("link", name="我的学习").first.click()
    page.wait_for_url(re.compile(r".*/learning$"))
    assert "离线也能看的课" in page.locator("main").inner_text()

    page.context.set_offline(False)
    page.goto(f"/learning/lessons/{lesson_id}")
    page.context.set_offline(True)  # the connection drops while reading
    page.wait_for_timeout(2500)
    page.locator(".progress-end").scroll_into_view_if_needed()
    wait_in_page(page, "document.querySelector('.progress-status').textContent.includes('等待同步')")
    expect(page.locator(".offline-banner")).to_be_visible()
    with app.app_context():
        assert all(r.completed_at is None for r in db.session.query(LessonProgress).filter_by(lesson_id=lesson_id))

    page.context.set_offline(False)
    wait_in_page(page, "document.querySelector('.progress-status').textContent.includes('本课已完成')")
    assert page.locator(".offline-banner").is_hidden()
    with app.app_context():
        row = db.session.query(LessonProgress).filter_by(lesson_id=lesson_id).one()
        assert row.reached_end and row.completed_at is not None
    kept = page.evaluate("caches.keys().then(names => Promise.all(names.map(n => caches.open(n)"
                         ".then(c => c.keys()).then(keys => keys.map(r => n + ' ' + new URL(r.url).pathname)))))"
                         ".then(lists => [].concat(...lists))")
    assert any(k.startswith("qiuxue-pages /learning") for k in kept)
    for key in kept:  # static files of this deploy, the offline page, 我的学习: no media, no API, no other page
        name, path = key.split(" ")
        assert path.startswith("/static/") or path in ("/offline", "/learning"), key
        assert "/media/" not in path and "/api/" not in path
    assert page.js_errors == [] and page.outside_requests == []


def test_signing_out_forgets_the_kept_list(app, page, login):
    login("worker")
    page.goto("/learning")
    wait_in_page(page, "!!navigator.serviceWorker.controller")
    page.reload()  # now through the worker, which keeps it
    wait_in_page(page, "caches.open('qiuxue-pages').then(c => c.match('/learning')).then(r => !!r)")
    page.goto("/me")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    wait_in_page(page, "caches.has('qiuxue-pages').then(has => !has)")
    page.context.set_offline(True)
    page.goto("/learning")  # the next person on this phone sees no one's list
    assert "现在没有网络" in page.locator("main").inner_text()


def test_a_deploy_brings_a_new_worker_and_drops_the_old_cache(app, page, tmp_path):
    """The worker's cache is named after the fingerprint of the static files: change one, and the next check for
    updates installs a new worker, which serves the new file and deletes the old cache."""
    import shutil

    from app.assets import Fingerprints

    static = tmp_path / "static"
    shutil.copytree(app.static_folder, static)
    app.extensions["fingerprints"] = Fingerprints(static)  # this app serves (and fingerprints) the copy
    page.goto("/")
    wait_in_page(page, "!!navigator.serviceWorker.controller")
    before = page.evaluate("caches.keys()")
    assert [n for n in before if n.startswith("qiuxue-static-")] == [f"qiuxue-static-{Fingerprints(static).version()}"]
    old_css = page.evaluate("document.querySelector('link[rel=stylesheet]').href")

    with (static / "css" / "site.css").open("a", encoding="utf-8") as css:
        css.write("\n.deployed { color: #b71c1c; }\n")  # the deploy
    new_version = Fingerprints(static).version()
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    wait_in_page(page, f"caches.keys().then(names => names.includes('qiuxue-static-{new_version}') && "
                f"names.filter(n => n.startsWith('qiuxue-static-')).length === 1)")
    page.reload()
    new_css = page.evaluate("document.querySelector('link[rel=stylesheet]').href")
    assert new_css != old_css  # HTML is revalidated, so the page names the new file at once
    assert page.evaluate("fetch(document.querySelector('link[rel=stylesheet]').href).then(r => r.text())"
                         ".then(t => t.includes('.deployed'))")
    assert page.js_errors == []
