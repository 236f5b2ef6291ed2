"""Issue 22.6: every staff form's delete, reorder and edit path, on the demo data `make run` loads. For each staff
role (site admin, province, city and county union, institution, enterprise) every POST form on every staff page is
submitted as a browser would, button by button with the values the page holds (edits and reorders first, deletes
last): no answer is a server error, each says what happened (a success message, or a clear problem on the page)."""

import re
import shutil
from pathlib import Path

import pytest
from flask import Flask

from app import create_app
from app import demo as app_demo
from app.extensions import db
from tests.conftest import _config, post_form
from tests.e2e.forms import Submission, post_forms
from tests.e2e.test_staff_phone import _ids, _pages

NOT_EDITS = ("/auth/logout", "/me/logout-everywhere", "/lang/")  # signing out is not an edit of staff data
DELETES = re.compile(r"delete|remove|revoke|retire|deactivate|删除|移除|停用|撤销|取消")
SAID = re.compile(r'class="flash flash-|class="error|class="problems|role="alert"')
# The sweep runs on a copy of the demo loaded once into SQLite (its files too); the forms' services run on both
# databases through their own tests, so the PostgreSQL pass leaves it out (marker render_once).
pytestmark = pytest.mark.render_once


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, demo_template) -> tuple[Path, dict[str, int]]:
    """The demo is loaded once per test process (its files too: conftest's demo_template) and each test starts
    from a copy."""
    data = tmp_path_factory.mktemp("demo") / "data"
    shutil.copytree(demo_template, data)
    app = create_app(_config(data))
    ids = _ids(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return data, ids


@pytest.fixture
def demo(request, tmp_path, demo_dir) -> tuple[Flask, dict[str, int]]:
    data, ids = demo_dir
    shutil.copytree(data, tmp_path / "data")
    app = create_app(_config(tmp_path / "data"))
    request.addfinalizer(lambda: _dispose(app))
    return app, ids


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _order(submissions: list[Submission]) -> list[Submission]:
    return sorted(submissions, key=lambda s: bool(DELETES.search(s.button + " " + " ".join(s.data.values())
                                                                 + s.action)))


# Paths each role must have gone through (a page or a parser that lost its forms would otherwise pass unseen).
EXPECTED = {
    "13900000001": {"/catalog/admin/categories:rename", "/catalog/admin/categories:down",
                    "/catalog/admin/categories:delete", "/search/synonyms:删除"},
    "13900000002": {"/catalog/u/330000/edit:delete_section", "/catalog/u/330000/edit:section_down"},
    "13900000003": {"/catalog/u/330100/edit:delete_section", "/catalog/u/330100/edit:hide"},
    "13900000004": {"/catalog/u/330106/edit:delete_section", "/catalog/u/330106/edit:section_up"},
    "13900000005": {"lessons:delete_lesson", "lessons:lesson_down", "lessons:update_lesson"},
    # the enterprise decides on the waiting worker (郑晓东), uploads a (missing) list and saves its subsidy
    "13900000006": {"/programme/enterprise:不是本企业职工", "/programme/enterprise/enrol:核对并报名",
                    "/programme/enterprise/subsidy:保存企业补贴"},
}


@pytest.mark.parametrize("phone", list(EXPECTED))
def test_every_staff_form_answers_with_a_message(demo, phone):
    app, ids = demo
    client = app.test_client()
    assert post_form(client, "/auth/login", {"phone": phone, "password": app_demo.DEMO_PASSWORD}).status_code == 302
    failures, sent = [], set()
    for url in _pages(ids)[phone]:
        page = client.get(url, follow_redirects=True)
        assert page.status_code == 200, url
        for submission in _order(post_forms(page.get_data(as_text=True), page.request.full_path.rstrip("?"))):
            if submission.action.startswith(NOT_EDITS):
                continue
            response = client.post(submission.action, data=submission.data,
                                   content_type="multipart/form-data" if submission.multipart else None)
            sent.add(f"{url.rsplit('/', 1)[-1] if url.endswith('/lessons') else url}:"
                     f"{submission.data.get('action') or submission.button}")
            where = (url, submission.button, submission.action, response.status_code)
            if response.status_code >= 500:
                failures.append(where)
            elif response.status_code in (302, 303):
                shown = client.get(response.headers["Location"])
                if shown.status_code >= 500 or (shown.status_code == 200 and not SAID.search(shown.get_data(
                        as_text=True)) and "/auth/login" not in response.headers["Location"]):
                    failures.append((*where, "no message", shown.status_code))
            elif response.status_code == 400 and not SAID.search(response.get_data(as_text=True)):
                failures.append((*where, "no message"))
    assert failures == []
    assert EXPECTED[phone] <= sent, sorted(sent)
