"""A course of INST-T1 (a 2-minute video, then a reading) with learners who watched its video through the real
heartbeat service, each up to a known second."""

from __future__ import annotations

from app.extensions import db
from catalog.models import Resource
from tests import factories
from tests.learning.conftest import Learner, enrol_back_dated, make_course

STOPS = (120, 120, 45, 45, 45, 15)  # where each learner stopped watching (the video is 120 s)


def watch(learner: Learner, upto: int) -> None:
    """Play the first lesson from the start to `upto` s, as the player reports it (every 15 s)."""
    lesson = learner.lesson(0)
    for k in range(0, upto, 15):
        end = min(upto, k + 15)
        learner.beat(lesson, end, [[k, end]], at_s=end)


def course_with_learners(stops: tuple[int, ...] = STOPS, idle: int = 0, title: str = "安全用电") -> int:
    """The course's id, with one learner per entry of `stops` and `idle` more who enrolled and never played."""
    resource = make_course(title, videos=("2:00",), external=False)
    db.session.commit()
    for upto in stops:
        user = factories.user("worker")
        enrol_back_dated(user, resource)
        db.session.commit()
        watch(Learner(user, resource), upto)
    for _ in range(idle):
        enrol_back_dated(factories.user("worker"), resource)
    db.session.commit()
    return resource.id


def get_resource(resource_id: int) -> Resource:
    found = db.session.get(Resource, resource_id)
    assert found is not None
    return found
