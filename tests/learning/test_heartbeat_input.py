"""Issue 17: one bad heartbeat must cost only itself. Numbers the database cannot hold are refused at the edge
(400 with a code, never a 500), and a job that fails inside a group commit leaves the rest of its group
committed (run on SQLite, and with QIUXUE_TEST_DATABASE_URL on PostgreSQL too)."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from learning import heartbeats
from learning.group_writer import GroupWriter, _Job
from learning.models import LearnerClock, LessonProgress
from tests.learning.conftest import page_token

HOSTILE = st.one_of(
    st.integers(), st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**400, -1, 0]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.none(), st.booleans(),
    st.lists(st.integers(), max_size=3))
FIELDS = ("lesson_id", "seq", "client_time", "sent_time", "position_s", "at_end")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(FIELDS), HOSTILE, min_size=1),
       st.lists(st.tuples(HOSTILE, HOSTILE), max_size=2))
def test_hostile_numbers_never_reach_the_database(client, auth, learner, change, spans):
    """Huge, negative, NaN, infinite, floats for integers, strings, anything: a 4xx with a code, never a 500,
    and what was saved stays."""
    lesson = learner.lesson(0)
    if not hasattr(learner, "token"):  # the fixtures live across examples: log in once
        auth.login(learner.user.phone)
        learner.token = page_token(client, f"/learning/lessons/{lesson.id}")
    token = learner.token
    body = {**learner.body(lesson, 5, [[0, 5]], at_s=5, seq=1), **change}
    if spans:
        body["watched"] = [list(pair) for pair in spans]
    response = client.post("/api/v1/progress", data=json.dumps(body, allow_nan=True),
                           content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code < 500, (body, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert response.get_json()["error"]["code"]
    db.session.expire_all()
    row = db.session.query(LessonProgress).filter_by(user_id=learner.user.id, lesson_id=lesson.id).one_or_none()
    assert row is None or row.covered_s <= 5 + 1e-9


def test_numbers_the_columns_cannot_hold_are_refused_with_a_code(client, auth, learner):
    auth.login(learner.user.phone)
    lesson = learner.lesson(0)
    token = page_token(client, f"/learning/lessons/{lesson.id}")
    for change in ({"lesson_id": 2**63}, {"lesson_id": 2**31}, {"seq": 2**63}, {"client_time": 10**400},
                   {"position_s": 10**400}, {"watched": [[0, 2**70]]}, {"lesson_id": 5.0}, {"sent_time": "now"}):
        body = {**learner.body(lesson, 5, [[0, 5]], at_s=5), **change}
        response = client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})
        assert (response.status_code, response.get_json()["error"]["code"]) == (400, "bad_heartbeat"), change


def _job(read, write=heartbeats.apply) -> _Job:
    return _Job(read, write, "zh_Hans_CN")


def test_a_poisoned_job_costs_its_group_nothing(app, learner):
    """The old parse let a seq of 2**63 through (and the old writer a lesson_id of 2**63): the driver refuses
    such a value in the middle of the group's transaction. Here one job fails while reading, one while writing
    (after it has already paid its clock), among honest heartbeats of four learners: the honest ones are all
    committed, the poisoned ones leave nothing behind."""
    lesson = learner.lesson(0)
    people = [user.id for user in learner.with_classmates(4)]  # ids: the group's session ends with it
    body = learner.body(lesson, 15, [[0, 15]], at_s=15, seq=1)
    beat = heartbeats.parse(body)
    lesson_id = lesson.id
    assert all(db.session.get(LearnerClock, uid) is None for uid in people)
    honest = [_job(lambda s, uid=uid: heartbeats.prepare(s, uid, beat)) for uid in people[1:]]
    poisoned_read = _job(lambda s: heartbeats.prepare(s, people[0], replace(beat, lesson_id=2**63)))
    poisoned_write = _job(lambda s: heartbeats.prepare(s, people[0], beat),
                          lambda s, p: heartbeats.apply(s, replace(p, beat=replace(p.beat, seq=2**63))))
    group = [honest[0], poisoned_read, honest[1], poisoned_write, *honest[2:]]
    writer = GroupWriter(app)  # the group writer itself, also on PostgreSQL (where the API writes directly)
    try:
        writer._commit(group)
    finally:
        writer.close()  # its own connection, kept open between groups while its thread runs
    assert all(job.error is None and job.result["covered_s"] == 15 for job in honest)
    assert poisoned_write.error is not None and poisoned_write.result is None
    assert poisoned_read.error is not None  # SQLite: the driver's overflow; PostgreSQL: no such lesson (404)
    db.session.expire_all()
    for uid in people[1:]:
        row = db.session.query(LessonProgress).filter_by(user_id=uid, lesson_id=lesson_id).one()
        assert row.watched == [[0.0, 15.0]]
    assert db.session.query(LessonProgress).filter_by(user_id=people[0]).count() == 0
    assert db.session.get(LearnerClock, people[0]) is None  # its payment was rolled back with it


def test_the_writer_survives_losing_its_connection(app, learner):
    """The group writer keeps one connection between groups: if the database drops it (a restart, a network
    cut), the group that finds it broken is run again on a new one, and no heartbeat of it is lost."""
    lesson = learner.lesson(0)
    people = [user.id for user in learner.with_classmates(2)]
    lesson_id = lesson.id
    writer = GroupWriter(app)
    try:
        for at_s in (10, 20):
            beat = heartbeats.parse(learner.body(lesson, at_s, [[0, at_s]], at_s=at_s, seq=at_s))
            group = [_job(lambda s, uid=uid, beat=beat: heartbeats.prepare(s, uid, beat)) for uid in people]
            writer._commit(group)
            answers = [(job.error, job.result and job.result["covered_s"]) for job in group]
            assert answers == [(None, at_s)] * len(people)
            writer._conn.connection.dbapi_connection.close()  # dropped under the writer, which does not know yet
    finally:
        writer.close()
    db.session.expire_all()
    for uid in people:
        row = db.session.query(LessonProgress).filter_by(user_id=uid, lesson_id=lesson_id).one()
        assert row.watched == [[0.0, 20.0]]
