"""The 100 hostile strings through every catalog text input — title, summary, rich-text description, teachers,
tags, lesson titles and reading-lesson bodies — then rendered in a real browser on the list, resource, lesson,
search (with highlighted snippets) and review pages: no dialog, no page error, no injected element."""

import pytest

from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.extensions import db
from app.text import has_control_chars
from catalog import lessons, service
from search.indexer import drain_all
from tests.catalog.helpers import make
from tests.security.test_xss_browser import assert_clean
from tests.security.xss_payloads import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.render_once]


def _seed(app) -> tuple[list[int], int]:
    """One published micro-course per payload (the payload in every field the service accepts it in), and one
    submitted course for the review queue. Returns the published ids and how many payloads were stored."""
    published, stored = [], 0
    with app.app_context():
        for i, payload in enumerate(p for p in PAYLOADS if not has_control_chars(p)):
            fields = {"summary": f"电工 {payload}"[:500], "description": f"<p>电工安全 {payload}</p>",
                      "teachers": payload[:50], "tags": payload[:40]}
            try:
                resource = make(title=f"电工{i} {payload}"[:200], lesson_count=0, **fields)
            except Invalid:  # teacher or tag lists the parser refuses: keep the payload where it is free text
                resource = make(title=f"电工{i} {payload}"[:200], lesson_count=0,
                                summary=fields["summary"], description=fields["description"])
            lessons.add_lesson(db.session, SYSTEM, resource, {"title": payload[:200] or "课", "type": "reading",
                                                              "body": f"<p>{payload}</p>"})
            stored += 1
            if i % 2:
                service.submit(db.session, SYSTEM, resource)
                service.review(db.session, SYSTEM, resource, "select")
                published.append(resource.id)
            else:
                service.submit(db.session, SYSTEM, resource)
        db.session.commit()
        drain_all(db.session, app.extensions["search"])
    return published, stored


def test_hostile_catalog_text_renders_as_text_everywhere(app, page, login):
    published, stored = _seed(app)
    assert len(PAYLOADS) >= 100 and stored == sum(not has_control_chars(p) for p in PAYLOADS)  # others: refused
    for n in range(1, 4):
        assert_clean(page, f"/catalog/all?page={n}")
    for resource_id in published[::7]:
        assert_clean(page, f"/catalog/r/{resource_id}")
        assert_clean(page, page.locator("a[href*='/lessons/']").first.get_attribute("href"))
    for query in ("电工", "script", "alert", "onerror"):
        assert_clean(page, f"/search?q={query}")
    login("union_staff", "330100")
    assert_clean(page, "/catalog/review")
    assert page.js_errors == []
