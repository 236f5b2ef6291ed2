"""Learning fixtures: a published course with video, reading and external lessons (made through the catalog's
services), a worker enrolled in it "an hour ago" (so heartbeats can carry realistic client clocks), and
helpers to send heartbeats through the service or the real API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.extensions import db as _db
from catalog import lessons, service
from learning import completion, enrolment, heartbeats
from tests import factories
from tests.catalog.helpers import give_media, make


def make_course(title: str = "安全用电", videos: tuple[str, ...] = ("10:00", "1:40"), reading: bool = True,
                external: bool = True):
    resource = make(title=title, kind="course", lesson_count=0, credits=2)
    unit = lessons.add_unit(_db.session, SYSTEM, resource, "第一章")
    for i, duration in enumerate(videos, 1):
        lessons.add_lesson(_db.session, SYSTEM, resource, {"title": f"视频{i}", "type": "video",
                                                            "duration": duration, "unit": unit.id})
    if reading:
        lessons.add_lesson(_db.session, SYSTEM, resource, {"title": "阅读", "type": "reading", "unit": unit.id,
                                                            "body": "<p>" + "安全第一。" * 50 + "</p>"})
    if external:
        lessons.add_lesson(_db.session, SYSTEM, resource, {"title": "外部", "type": "external", "unit": unit.id,
                                                            "external_url": "https://example.org/lesson"})
    give_media(resource)
    service.submit(_db.session, SYSTEM, resource)
    service.review(_db.session, SYSTEM, resource, "select")
    _db.session.flush()
    return resource


class Learner:
    """A worker enrolled two hours ago; `beat(...)` sends a heartbeat through the service and commits.

    Client times are those of a phone that studied from an hour ago (so they arrive as a replayed queue would),
    one lesson after another: `at_s` counts from when the learner first opened the lesson, which is after
    everything sent before it (the same minute cannot be paid twice: learning.pace)."""

    def __init__(self, user, resource):
        self.user, self.resource = user, resource
        self.start_ms = int((utcnow() - timedelta(hours=1) - _epoch()).total_seconds() * 1000)
        self.seq = 0
        self.opened: dict[int, float] = {}  # lesson id -> second (from start_ms) it was first opened
        self.latest = 0.0

    def lesson(self, index: int):
        return self.resource.lessons[index]

    def body(self, lesson, position: float, watched, at_s: float, seq: int | None = None, **extra) -> dict:
        if seq is None:
            self.seq += 1
            seq = self.seq
        opened = self.opened.setdefault(lesson.id, self.latest)
        self.latest = max(self.latest, opened + at_s)
        return {"lesson_id": lesson.id, "position_s": position, "watched": watched,
                "client_time": self.start_ms + int((opened + at_s) * 1000), "seq": seq, **extra}

    def beat(self, lesson, position: float, watched, at_s: float, seq: int | None = None, **extra) -> dict:
        result = heartbeats.record(_db.session, self.user.id,
                                   heartbeats.parse(self.body(lesson, position, watched, at_s, seq, **extra)))
        _db.session.commit()
        return result

    def steady(self, lesson, count: int) -> list[dict]:
        """`count` heartbeat bodies of 15 s each, in order, as a player playing straight through sends them."""
        return [self.body(lesson, (k + 1) * 15, [[k * 15, (k + 1) * 15]], at_s=(k + 1) * 15, seq=k + 1)
                for k in range(count)]

    def with_classmates(self, count: int) -> list:
        """This learner's user and `count` more workers enrolled in the same resource (committed)."""
        people = [self.user]
        for _ in range(count):
            user = factories.user("worker")
            enrol_back_dated(user, self.resource)
            people.append(user)
        _db.session.commit()
        return people


def _epoch():
    from datetime import datetime

    return datetime(1970, 1, 1)


def enrol_back_dated(user, resource, hours: float = 2):
    found, _created = enrolment.enrol(_db.session, user, resource.id)
    found.enrolled_at = found.last_active_at = utcnow() - timedelta(hours=hours)  # last seen then, too
    _db.session.flush()
    return found


@pytest.fixture
def course(app):
    with app.app_context():
        resource = make_course()
        _db.session.commit()
        return resource.id


@pytest.fixture
def learner(db, course):
    from catalog.models import Resource

    user = factories.user("worker")
    resource = _db.session.get(Resource, course)
    enrol_back_dated(user, resource)
    _db.session.commit()
    return Learner(user, resource)


def page_token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1)


def finished(user, resource) -> None:
    """`user` enrolled in `resource` and through every lesson (a short course's external lessons, confirmed)."""
    enrolment.enrol(_db.session, user, resource.id)
    for lesson in resource.lessons:
        completion.confirm_external(_db.session, user.id, lesson)


@pytest.fixture
def short_course(db):
    """INST-T1's course of one external lesson: confirming it finishes the course."""
    resource = make_course("一课就完", videos=(), reading=False)
    _db.session.commit()
    return resource
