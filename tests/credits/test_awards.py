"""The award listens to learning's announcement: the same completion announced twice awards once, an
announcement re-reads the enrolment, and learning itself never imports the credit bank."""

from __future__ import annotations

import ast
import time
from pathlib import Path

from sqlalchemy import func, select

from app import events, jobs
from app.accounts.policy import SYSTEM
from app.outbox import OutboxEvent
from catalog import lessons, service
from credits import awards
from credits.models import Certificate, CreditRecord
from learning import completion, enrolment
from tests.catalog.helpers import make
from tests.credits.credit_factories import worker

LEARNING = Path(__file__).resolve().parents[2] / "learning"


def _count(session, model, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(model).where(model.user_id == user_id))


def _external_course(session, credits: str = "2"):
    item = make(title="外部平台：安全用电", credits=credits, lesson_count=0)
    lesson = lessons.add_lesson(session, SYSTEM, item, {"title": "在国家平台学习", "type": "external",
                                                        "external_url": "https://example.org/course"})
    service.submit(session, SYSTEM, item)
    service.review(session, SYSTEM, item, "select")
    return item, lesson


def test_the_same_completion_announced_twice_awards_once(db):
    item, lesson = _external_course(db.session)
    user = worker()
    found, _created = enrolment.enrol(db.session, user, item.id)
    completion.confirm_external(db.session, user.id, lesson)  # stamps the completion: the first announcement
    events.announce(db.session, events.RESOURCE_COMPLETED, found.id)  # heard again (a replay, a second worker)
    db.session.commit()
    records = db.session.scalars(select(CreditRecord).where(CreditRecord.user_id == user.id)).all()
    assert [(r.kind.value, r.amount, r.resource_id) for r in records] == [("earned", 2, item.id)]
    assert _count(db.session, Certificate, user.id) == 1
    announced = db.session.scalars(select(OutboxEvent.key).where(OutboxEvent.topic == events.RESOURCE_COMPLETED))
    assert list(announced) == [str(found.id), str(found.id)]  # both announcements went through the outbox


def test_an_announcement_rereads_the_enrolment(db):
    """An enrolment that is not complete (or no longer exists) earns nothing, whatever the announcement says."""
    item, _lesson = _external_course(db.session)
    user = worker()
    found, _created = enrolment.enrol(db.session, user, item.id)
    events.announce(db.session, events.RESOURCE_COMPLETED, found.id)
    events.announce(db.session, events.RESOURCE_COMPLETED, 999_999)
    db.session.commit()
    assert _count(db.session, CreditRecord, user.id) == 0 and _count(db.session, Certificate, user.id) == 0


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_learning_never_imports_the_credit_bank():
    """Learning announces completions; the credit bank listens (issue 19). Imports inside functions count too."""
    offenders = {str(path.relative_to(LEARNING.parent)): sorted(name for name in _imported_modules(path)
                                                                if name == "credits" or name.startswith("credits."))
                 for path in sorted(LEARNING.rglob("*.py"))}
    assert {path: names for path, names in offenders.items() if names} == {}


def _pending(session) -> list[str]:
    session.rollback()
    return list(session.scalars(select(OutboxEvent.key).where(OutboxEvent.topic == events.RESOURCE_COMPLETED)))


def _run_duty_until(app, condition) -> bool:
    runtime = jobs.Worker(app, duties=[awards.DUTY], poll_s=0.05).start()  # the duty as `qiuxue worker` runs it
    try:
        deadline = time.monotonic() + 30  # a hung test stops here; the duty normally answers at once
        while not condition():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True
    finally:
        runtime.stop()


def test_the_duty_delivers_a_completion_nobody_heard_and_empties_the_outbox(app, db, monkeypatch):
    """A process where the credit bank was not listening (a script, a CLI without credits) stamps a completion:
    the runtime's duty awards it from the outbox row and acknowledges the row."""
    item, lesson = _external_course(db.session)
    user = worker()
    found, _created = enrolment.enrol(db.session, user, item.id)
    monkeypatch.setitem(events._subscribers, events.RESOURCE_COMPLETED, [])  # nobody listening in this process
    completion.confirm_external(db.session, user.id, lesson)
    db.session.commit()
    assert _count(db.session, CreditRecord, user.id) == 0 and _pending(db.session) == [str(found.id)]
    monkeypatch.undo()
    assert _run_duty_until(app, lambda: not _pending(db.session))
    assert _count(db.session, CreditRecord, user.id) == 1 and _count(db.session, Certificate, user.id) == 1


def test_the_duty_acknowledges_completions_already_awarded_without_a_second_award(app, db):
    item, lesson = _external_course(db.session)
    user = worker()
    enrolment.enrol(db.session, user, item.id)
    completion.confirm_external(db.session, user.id, lesson)  # awarded at once, in this transaction
    db.session.commit()
    assert _count(db.session, CreditRecord, user.id) == 1 and _pending(db.session)
    assert _run_duty_until(app, lambda: not _pending(db.session))
    assert _count(db.session, CreditRecord, user.id) == 1 and _count(db.session, Certificate, user.id) == 1


def test_a_completion_delivered_again_after_an_account_merge_awards_nothing_more(app, db):
    """A reviewer's attack: the old account completed a course (awarded at once, the announcement still in the
    outbox), was merged into the new one, then the duty delivered the announcement: the enrolment now names the new
    account, so a second record was keyed for it and the course paid twice (and given back had the first been
    revoked)."""
    from app.accounts import merge
    from credits import ledger
    from tests import factories
    from tests.app.test_merge import _person
    from tests.app.test_profile import VALID_ID

    item, lesson = _external_course(db.session, credits="6")
    source, target = _person(VALID_ID, "张三明(旧号)"), _person(None)  # the old account has the ID number
    enrolment.enrol(db.session, source, item.id)
    completion.confirm_external(db.session, source.id, lesson)
    db.session.commit()
    merge.merge(db.session, factories.user("admin"), source, target, id_number=VALID_ID)
    db.session.commit()
    [earned] = ledger.ledger(db.session, target.id)
    ledger.revoke_record(db.session, factories.user("admin"), earned.id, "补考前先撤销")
    db.session.commit()
    assert _pending(db.session) and _run_duty_until(app, lambda: not _pending(db.session))
    records = ledger.ledger(db.session, target.id)
    assert len(records) == 2 and ledger.balance(records) == 0

