"""Issue 17 attacks on progress, performed through the real API: a back-dated burst from a learner enrolled long
ago, the same hour claimed for every lesson, heartbeats for a withdrawn course, reading time claimed at once or
twice; and what must still pass: an honest offline queue replayed later from a phone whose clock is off. Refusals
are counted for staff to review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.errors import Conflict
from app.extensions import db
from catalog import service
from learning import completion, pace, quizzes, refusals
from learning.models import Enrolment, LearnerClock, LessonProgress
from tests import factories
from tests.learning.conftest import enrol_back_dated, make_course, page_token
from tests.learning.test_completion import QUESTIONS

HALF_HOUR = 1800


@pytest.fixture(autouse=True)
def _in_app(db):  # the app context and database of tests/conftest.py
    return db


def _now_ms() -> int:
    return int((utcnow() - utcnow().replace(year=1970, month=1, day=1, hour=0, minute=0, second=0,
                                            microsecond=0)).total_seconds() * 1000)


def _setup(client, auth, hours: float, videos: int = 5):
    resource = make_course(title="长视频课", videos=("30:00",) * videos, reading=False, external=False)
    user = factories.user("worker")
    enrol_back_dated(user, resource, hours=hours)
    db.session.commit()
    auth.login(user.phone)
    token = page_token(client, f"/learning/lessons/{resource.lessons[0].id}")
    post = lambda body: client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})  # noqa: E731
    return resource, user, post


def _credited(user) -> float:
    db.session.expire_all()
    return sum(row.covered_s for row in db.session.query(LessonProgress).filter_by(user_id=user.id))


def _enrolment(user, resource) -> Enrolment:
    db.session.expire_all()
    return db.session.query(Enrolment).filter_by(user_id=user.id, resource_id=resource.id).one()


def _exploit(resource, post, enrolled_ms: int) -> list[tuple[int, str]]:
    """What credited 6,504 s in 40 s: for every lesson, a heartbeat dated back at the enrolment and one dated now
    claiming the whole video, so each lesson saw a span of client time as long as the enrolment is old."""
    answers, seq = [], 1000
    for lesson in resource.lessons:
        for at_ms, watched in ((enrolled_ms + 1000, [[0, 1]]), (_now_ms(), [[0, HALF_HOUR]])):
            seq += 1
            response = post({"lesson_id": lesson.id, "position_s": watched[0][1], "watched": watched,
                             "client_time": at_ms, "seq": seq})
            answers.append((response.status_code, (response.get_json().get("error") or {}).get("code", "")))
    return answers


def test_a_back_dated_burst_from_a_learner_enrolled_long_ago_gets_only_the_wall_clock(client, auth):
    resource, user, post = _setup(client, auth, hours=24 * 30)
    enrolled_ms = _now_ms() - 30 * 86_400_000
    first = resource.lessons[0]
    seen_ms = _now_ms()  # the learner is on the site: the player's first heartbeat, live
    assert post({"lesson_id": first.id, "position_s": 10, "watched": [[0, 10]], "client_time": seen_ms,
                 "sent_time": seen_ms, "seq": 1}).status_code == 200
    answers = _exploit(resource, post, enrolled_ms)
    elapsed_s = (_now_ms() - seen_ms) / 1000
    assert _credited(user) <= 10 + elapsed_s * pace.RATE + pace.SLACK_S  # the old code credited 9,000 s
    assert answers.count((400, "too_fast")) >= len(resource.lessons) - 1
    assert _enrolment(user, resource).refusals >= len(resource.lessons) - 1  # counted, and committed


def test_a_learner_silent_since_enrolling_a_month_ago_cannot_claim_the_month(client, auth):
    """The exploit with no live heartbeat first: enrolled 30 days ago and never seen since, the learner sends both
    half-hour videos as watched, in heartbeats 15 s apart as the player sends them, dated days back — every claim
    fits its gap, as a genuine queue's would. A queue reaches back at most pace.MAX_QUEUE_AGE_S, so none of it
    counts; an honest queue from an hour ago still does."""
    resource, user, post = _setup(client, auth, hours=24 * 30, videos=2)
    started_ms = _now_ms()
    enrolled_ms, seq, codes = started_ms - 30 * 86_400_000, 10, []
    for k, lesson in enumerate(resource.lessons):
        for i in range(HALF_HOUR // 15):
            at, seq = enrolled_ms + (k + 1) * 86_400_000 + (i + 1) * 15_000, seq + 1
            codes.append(post({"lesson_id": lesson.id, "position_s": (i + 1) * 15, "watched": [[i * 15, (i + 1) * 15]],
                            "client_time": at, "seq": seq}).status_code)
    burst_s = (_now_ms() - started_ms) / 1000  # the wall clock the burst itself took is time that passed
    assert _credited(user) <= pace.SLACK_S + burst_s * pace.RATE and 400 in codes  # the old rule: all 3,600 s
    queued_ms = _now_ms() - 3_600_000
    honest = post({"lesson_id": resource.lessons[0].id, "position_s": 15, "watched": [[0, 15]],
                   "client_time": queued_ms, "sent_time": queued_ms, "seq": seq + 1})
    assert honest.status_code == 200, honest.get_json()


def test_the_same_hour_is_paid_once_across_lessons(client, auth):
    """Enrolled an hour ago and not seen since: an hour at double speed is two hours of video at most, in all
    five half-hour lessons together, however the heartbeats are dated."""
    resource, user, post = _setup(client, auth, hours=1)
    answers = _exploit(resource, post, _now_ms() - 3_600_000)
    assert _credited(user) <= 3600 * pace.RATE + pace.SLACK_S + 60  # the old code credited 5 × 1,800 s
    assert (400, "too_fast") in answers


def _reading_course(lessons: int, min_read_s: int):
    """A published course of reading lessons only, each needing `min_read_s` of reading, worth credits."""
    from catalog import lessons as lesson_service
    from learning.models import LearningSettings
    from tests.catalog.helpers import give_media, make

    resource = make(title="纯阅读课", kind="course", lesson_count=0, credits=4)
    unit = lesson_service.add_unit(db.session, SYSTEM, resource, "第一章")
    for i in range(lessons):
        lesson_service.add_lesson(db.session, SYSTEM, resource, {"title": f"阅读{i}", "type": "reading",
                                                                 "unit": unit.id, "body": "<p>安全第一。</p>" * 50})
    give_media(resource)
    service.submit(db.session, SYSTEM, resource)
    service.review(db.session, SYSTEM, resource, "select")
    db.session.add(LearningSettings(resource_id=resource.id, completion_ratio=0.9, min_read_s=min_read_s))
    return resource


def _reader(client, auth, resource, hours: float):
    user = factories.user("worker")
    enrol_back_dated(user, resource, hours=hours)
    db.session.commit()
    auth.login(user.phone)
    token = page_token(client, f"/learning/lessons/{resource.lessons[0].id}")
    return user, lambda body: client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token})


def _read_span(post, lesson, span: list[float], seq: int):
    """A reading heartbeat for `span` (epoch seconds) sent now, as a page's queue sends it."""
    response = post({"lesson_id": lesson.id, "position_s": 100, "watched": [span], "at_end": True,
                     "client_time": int(span[1] * 1000), "sent_time": _now_ms(), "seq": seq})
    return response.status_code, (response.get_json().get("error") or {}).get("code", "")


def test_reading_time_claimed_right_after_enrolling_completes_nothing(client, auth):
    """A reviewer's attack: enrolled this second, one span of ten minutes (most of it before the enrolment) sent
    for each of five reading lessons needing ten minutes each. Before the fix every lesson, the course and its
    credits completed at once, with 3,000 verified study seconds; reading time is now paid from the learner's clock."""
    from credits.models import CreditRecord
    from learning.habit_models import StudyDay

    resource = _reading_course(lessons=5, min_read_s=600)
    user, post = _reader(client, auth, resource, hours=0)
    now_s = _now_ms() / 1000
    answers = [_read_span(post, lesson, [now_s - 590, now_s + 10], seq=k + 1)
               for k, lesson in enumerate(resource.lessons)]
    assert answers == [(400, "too_fast")] * 5
    db.session.expire_all()
    assert db.session.query(LessonProgress).filter(LessonProgress.user_id == user.id,
                                                   LessonProgress.completed_at.is_not(None)).count() == 0
    assert _enrolment(user, resource).completed_at is None and _enrolment(user, resource).refusals == 5
    assert db.session.query(CreditRecord).filter_by(user_id=user.id).count() == 0
    assert sum(day.seconds for day in db.session.query(StudyDay).filter_by(user_id=user.id)) == 0


def test_the_same_minutes_are_read_once_and_never_also_watched(client, auth):
    """Enrolled two hours ago and last seen then: ten minutes read for one lesson are paid; the same ten minutes
    sent for a second reading lesson, or claimed as video watched, are refused; the next ten minutes read pass."""
    resource = _reading_course(lessons=2, min_read_s=600)
    video = make_course(title="视频课", videos=("30:00",), reading=False, external=False)
    user, post = _reader(client, auth, resource, hours=2)
    enrol_back_dated(user, video, hours=2)
    db.session.commit()
    first, second = resource.lessons
    start_s = _now_ms() / 1000 - 3600
    assert _read_span(post, first, [start_s, start_s + 600], seq=1) == (200, "")
    assert _read_span(post, second, [start_s, start_s + 600], seq=2) == (400, "too_fast")
    sent_ms = _now_ms()  # the same ten minutes as a video queue replayed now, 15 s a heartbeat
    watching = [post({"lesson_id": video.lessons[0].id, "position_s": k * 15, "watched": [[(k - 1) * 15, k * 15]],
                      "client_time": int((start_s + k * 15) * 1000), "sent_time": sent_ms, "seq": 100 + k})
                for k in range(1, 41)]
    refused = [(r.status_code, r.get_json()["error"]["code"]) for r in watching if r.status_code != 200]
    assert refused == [(400, "too_fast")] * (40 - int(pace.SLACK_S // 15))  # the clock's spare only
    assert _read_span(post, second, [start_s + 600, start_s + 1200], seq=200) == (200, "")
    db.session.expire_all()
    rows = {row.lesson_id: row for row in db.session.query(LessonProgress).filter_by(user_id=user.id)}
    assert rows[video.lessons[0].id].covered_s <= pace.SLACK_S  # its spare only
    assert rows[first.id].completed_at and rows[second.id].completed_at
    assert _enrolment(user, resource).completed_at is not None


def test_an_honest_offline_queue_replayed_later_is_accepted_whole(client, auth):
    """Last seen 40 minutes ago; then half an hour watched offline at normal speed on a phone whose clock is five
    minutes slow; the queue is replayed now in one burst (as static/js/progress.js sends it, with sent_time)."""
    resource, user, post = _setup(client, auth, hours=3)
    found = _enrolment(user, resource)
    found.last_active_at = utcnow() - timedelta(minutes=40)
    db.session.commit()
    slow = 5 * 60_000
    offline_from = _now_ms() - 40 * 60_000 - slow
    lesson = resource.lessons[0]
    for k in range(1, HALF_HOUR // 15 + 1):
        body = {"lesson_id": lesson.id, "position_s": k * 15, "watched": [[(k - 1) * 15, k * 15]],
                "client_time": offline_from + k * 15_000, "seq": k, "sent_time": _now_ms() - slow}
        response = post(body)
        assert response.status_code == 200, response.get_json()
    assert response.get_json()["complete"] and _credited(user) == HALF_HOUR
    assert _enrolment(user, resource).refusals == 0
    # A second queue for another lesson, dated in the same half hour, asks for time already paid for.
    other = resource.lessons[1]
    answers = [post({"lesson_id": other.id, "position_s": k * 15, "watched": [[(k - 1) * 15, k * 15]],
                     "client_time": offline_from + k * 15_000, "seq": 500 + k, "sent_time": _now_ms() - slow})
               .status_code for k in range(1, 21)]
    assert answers.count(400) >= 15 and _credited(user) <= HALF_HOUR + pace.SLACK_S


def test_a_withdrawn_course_records_no_progress_and_keeps_what_was_saved(client, auth):
    resource, user, post = _setup(client, auth, hours=1)
    lesson = resource.lessons[0]
    now = _now_ms()
    assert post({"lesson_id": lesson.id, "position_s": 10, "watched": [[0, 10]], "client_time": now,
                 "seq": 1}).status_code == 200
    service.unpublish(db.session, SYSTEM, resource, "内容需要更新")
    db.session.commit()
    response = post({"lesson_id": lesson.id, "position_s": 25, "watched": [[10, 25]], "client_time": now + 15_000,
                     "seq": 2})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_published"
    assert _credited(user) == 10
    for attempt in (lambda: completion.confirm_external(db.session, user.id, lesson),
                    lambda: quizzes.submit(db.session, user.id, quizzes.save_quiz(
                        db.session, SYSTEM, resource, {"title": "测验", "pass_mark": "50", "questions": QUESTIONS}),
                        ["0", "0"])):
        try:
            attempt()
            raise AssertionError("recorded progress for a withdrawn course")
        except Conflict as err:
            assert err.code in ("not_published", "not_external")
        db.session.rollback()
    assert _credited(user) == 10


def test_an_external_lesson_takes_no_heartbeats(client, auth):
    """No player sends one (the learner confirms an external lesson): a forged one stored any spans it carried and
    moved 继续学习 to the lesson. Now refused, counted for staff, nothing of it kept."""
    resource = make_course(title="外部课程", videos=("30:00",), reading=False, external=True)
    external = next(lesson for lesson in resource.lessons if lesson.type.value == "external")
    user = factories.user("worker")
    enrol_back_dated(user, resource, hours=5)
    db.session.commit()
    auth.login(user.phone)
    token = page_token(client, f"/learning/lessons/{resource.lessons[0].id}")
    response = client.post("/api/v1/progress", headers={"X-CSRFToken": token}, json={
        "lesson_id": external.id, "position_s": 3600, "watched": [[0, 3600]], "client_time": _now_ms(), "seq": 1})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "not_tracked"
    assert db.session.query(LessonProgress).filter_by(user_id=user.id).count() == 0  # no row: nothing "experienced"
    enrolment = _enrolment(user, resource)
    assert enrolment.last_lesson_id is None and enrolment.refusals == 1


def test_refused_learners_are_listed_for_the_course_s_staff_and_admins(client, auth):
    resource, user, post = _setup(client, auth, hours=1)
    _exploit(resource, post, _now_ms() - 3_600_000)
    _exploit(resource, post, _now_ms() - 3_600_000)
    assert _enrolment(user, resource).refusals >= refusals.REVIEW_AFTER
    staff, admin = factories.user("institution_staff"), factories.user("admin")
    stranger = factories.user("enterprise_staff", factories.ENTERPRISE)  # staff, but not of this course's provider
    assert [e.user_id for e in refusals.listed(db.session, staff)] == [user.id]
    assert [e.user_id for e in refusals.listed(db.session, admin)] == [user.id]
    assert refusals.listed(db.session, stranger) == []
    auth.logout()
    auth.login(staff.phone)
    page = client.get("/learning/review/refusals")
    assert page.status_code == 200 and user.name in page.get_data(as_text=True)
    auth.logout()
    auth.login(user.phone)
    assert client.get("/learning/review/refusals").status_code == 403


def test_the_clock_follows_the_learner_not_the_lesson(client, auth):
    resource, user, post = _setup(client, auth, hours=1)
    _exploit(resource, post, _now_ms() - 3_600_000)
    db.session.expire_all()
    clock = db.session.get(LearnerClock, user.id)
    assert clock is not None and clock.cursor_ms <= _now_ms() and 0 <= clock.spare_s <= pace.SLACK_S


@pytest.mark.parametrize(("role", "org", "expected"), [
    (None, None, False), ("worker", None, False), ("institution_staff", factories.INSTITUTION, True),
    ("enterprise_staff", factories.ENTERPRISE, False), ("union_staff", "330000", False),
    ("union_staff", "330106", False), ("admin", None, True)])
def test_who_may_review_refused_progress(role, org, expected):
    """progress.review on a course's provider: its own staff and site admins; not unions, other providers, workers."""
    from app.accounts import organisations
    from app.accounts.policy import can

    user = factories.user(role, org) if role else None
    assert can(user, "progress.review", organisations.get_by_code(db.session, factories.INSTITUTION)) is expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(-7_200_000, 60_000), st.integers(0, 590),
                          st.integers(1, 600)), min_size=1, max_size=12))
def test_any_sequence_through_the_service_stays_within_the_clock(learner, beats):
    """Heartbeats for two lessons, dated anywhere from two hours back to a minute ahead, claiming any span: what
    the database credits (of 700 s of video) never exceeds the time since the learner was last seen, at the
    fastest rate, plus the slack (the pure rule, learning.pace, holds with its state in learner_clocks)."""
    from app.errors import DomainError
    from learning import heartbeats

    user = factories.user("worker")
    found = enrol_back_dated(user, learner.resource, hours=2)
    found.last_active_at = utcnow() - timedelta(minutes=1)  # enrolled long ago, last seen a minute ago
    db.session.commit()
    seen_ms = _now_ms() - 60_000
    for seq, (index, offset, start, length) in enumerate(beats, 1):
        lesson = learner.resource.lessons[index]
        end = min(start + length, lesson.duration_s)
        body = {"lesson_id": lesson.id, "position_s": end, "watched": [[start, end]],
                "client_time": max(_now_ms() + offset, 1), "seq": seq}
        try:
            heartbeats.record(db.session, user.id, heartbeats.parse(body))
            db.session.commit()
        except DomainError:
            db.session.rollback()
    assert _credited(user) <= (_now_ms() - seen_ms) / 1000 * pace.RATE + pace.SLACK_S + 1
