"""End to end with the learning part: finishing a resource through enrolment and completion banks its credits
once, issues the certificate and moves the pathway bar."""

from __future__ import annotations

from app.accounts.policy import SYSTEM
from catalog import lessons
from credits import certificates, ledger, pathways
from learning import completion, enrolment
from tests.catalog.helpers import make
from tests.credits.credit_factories import pathway, worker


def test_completing_an_external_lesson_banks_the_credits_once(db):
    item = make(title="外部平台：电工基础", credits="6", lesson_count=0)
    lesson = lessons.add_lesson(db.session, SYSTEM, item, {"title": "在国家平台学习", "type": "external",
                                                           "external_url": "https://example.org/course"})
    from catalog import service

    service.submit(db.session, SYSTEM, item)
    service.review(db.session, SYSTEM, item, "select")
    track = pathway(10, ((item, True),))
    user = worker()
    enrolment.enrol(db.session, user, item.id)
    before = pathways.progress(db.session, user.id, [track])[0]
    for _ in range(2):
        completion.confirm_external(db.session, user.id, lesson)
    records = ledger.ledger(db.session, user.id)
    assert [(r.kind.value, r.amount) for r in records] == [("earned", 6)]
    assert [c.resource_title for c in certificates.mine(db.session, user.id)] == ["外部平台：电工基础"]
    after = pathways.progress(db.session, user.id, [track])[0]
    assert (before.counted, before.missing_items != [], after.counted, after.missing_items) == (0, True, 6, [])
    assert after.missing_credits == 4
