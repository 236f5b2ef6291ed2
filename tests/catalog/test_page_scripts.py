"""The list, menu section and search pages keep their own script's address in their shared part (made once per
query, not per request): a changed script shows under its new address on the next page, signed in or not."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from app import assets
from app.assets import Fingerprints
from tests.catalog.helpers import make

PAGES = {"/catalog/all": "js/catalog.js", "/catalog/menu/skills?kind=course&sort=enrolled": "js/catalog.js",
         "/search?q=钢筋": "js/search.js"}


@pytest.fixture
def static(app, tmp_path, monkeypatch) -> Path:
    """The site's scripts in a folder of the test's own (so one can be edited), looked at again on every page."""
    folder = tmp_path / "static"
    (folder / "js").mkdir(parents=True)
    for name in set(PAGES.values()):
        shutil.copy(Path(app.static_folder) / name, folder / name)
    app.extensions["fingerprints"] = Fingerprints(folder, watch=True)  # as under `make dev`
    monkeypatch.setattr(assets, "RECHECK_S", 0.0)  # as after a second has passed
    return folder


def _script(page: str, name: str) -> str:
    stem = name.removesuffix(".js")
    found = re.search(rf'<script src="(/static/{stem}\.[0-9a-f]+\.js)" defer>', page)
    assert found, page[-400:]
    return found[1]


@pytest.mark.parametrize("signed_in", [True, False])
def test_an_edited_script_shows_under_its_new_address_on_the_next_page(app, client, auth, db, static, signed_in):
    make(title="钢筋工培训", kind="course", lesson_count=1, publish=True)
    db.session.commit()
    if signed_in:
        auth.as_role("worker")
    app.extensions["page_cache"].ttl = 0  # anonymous pages made each time too: the shared part is what is tested
    before = {}
    for url, name in PAGES.items():
        client.get(url)
        before[url] = _script(client.get(url).get_data(as_text=True), name)  # the second from the shared part
    (static / "js" / "catalog.js").write_text("// a new release\n", encoding="utf-8")
    (static / "js" / "search.js").write_text("// a new release too\n", encoding="utf-8")
    for url, name in PAGES.items():
        now = _script(client.get(url).get_data(as_text=True), name)
        assert now != before[url], url
        assert client.get(now).get_data(as_text=True).startswith("// a new release"), url
