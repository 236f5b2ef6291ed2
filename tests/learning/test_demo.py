"""The learning demo `make run` loads: the demo worker finds two resources in 我的学习, one with a quiz, and can
finish the short demo course in minutes of real watching, for credits, a pathway step and a certificate."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app import demo as app_demo
from app.accounts.models import User
from catalog.demo_data import SHORT_COURSE, SHORT_LESSON_SECONDS
from catalog.models import Resource
from credits import certificates
from credits.models import Pathway
from learning.demo import WORKER_PHONE
from tests.learning.conftest import page_token


@pytest.mark.demo
def test_demo_worker_has_something_to_continue(client, auth):
    auth.login(WORKER_PHONE, "qiuxue-demo")
    page = client.get("/learning").get_data(as_text=True)
    assert page.count("继续学习") >= 2  # (other demos may enrol the worker too)


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def test_a_demo_worker_finishes_the_short_course_at_an_honest_pace_and_gets_credits_pathway_and_certificate(
        app, client, auth, db):
    """The short demo course through the real enrolment form and heartbeat API, as the phone's player sends them
    (every 15 s of media, at 1x then 2x), with the real pacing rule: time is driven by time-machine, not slept.
    A burst claiming a whole lesson at once is refused on the way; the honest watching then completes it."""
    app_demo.load(db.session, short_course_full_length=True)
    db.session.commit()
    course = db.session.scalar(select(Resource).where(Resource.title == SHORT_COURSE))
    course_id, lessons = course.id, [(lesson.id, lesson.duration_s) for lesson in course.lessons]
    assert [seconds for _id, seconds in lessons] == list(SHORT_LESSON_SECONDS.values())  # the clips' lengths
    assert sum(SHORT_LESSON_SECONDS.values()) < 5 * 60
    pathway = db.session.scalar(select(Pathway).where(Pathway.title == "电工（高级工）技能提升路径"))
    auth.login(WORKER_PHONE, "qiuxue-demo")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=1), tick=False) as clock:
        token = page_token(client, f"/catalog/r/{course_id}")
        assert client.post(f"/learning/enrol/{course_id}", data={"csrf_token": token}).status_code in (302, 303)
        seq, answer = 0, {}
        for index, (lesson_id, duration) in enumerate(lessons):
            token = page_token(client, f"/learning/lessons/{lesson_id}")
            post = lambda body, t=token: client.post("/api/v1/progress", json=body,  # noqa: E731
                                                     headers={"X-CSRFToken": t})
            if index == 1:  # the attack: the whole lesson claimed a few seconds after the last heartbeat
                clock.shift(5)
                seq += 1
                burst = post({"lesson_id": lesson_id, "position_s": duration, "watched": [[0, duration]],
                              "client_time": _now_ms(), "sent_time": _now_ms(), "seq": seq, "at_end": True})
                assert burst.status_code == 400, burst.get_json()
                assert burst.get_json()["error"]["code"] in ("too_fast", "too_much_watched")
            rate = 1 if index == 0 else 2
            position = 0
            while position < duration:
                step = min(15, duration - position)
                clock.shift(step / rate)
                seq += 1
                response = post({"lesson_id": lesson_id, "position_s": position + step,
                                 "watched": [[position, position + step]], "client_time": _now_ms(),
                                 "sent_time": _now_ms(), "seq": seq, "at_end": position + step >= duration})
                assert response.status_code == 200, response.get_json()
                answer = response.get_json()
                position += step
            assert answer["complete"], answer
        assert answer["resource_complete"]
        # still on the travelled clock: the session cookie was signed there (back in the present it is from the
        # future, and refused; the test passed only while one `g` kept the user between requests)
        credits_page = client.get("/credits/").get_data(as_text=True)
        assert SHORT_COURSE in credits_page and "0.5" in credits_page
        pathway_page = client.get(f"/credits/pathways/{pathway.id}").get_data(as_text=True)
        assert "已计 0.5 / 12 学分" in pathway_page  # the pathway moved
    db.session.expire_all()
    worker = db.session.scalar(select(User).where(User.phone == WORKER_PHONE))
    [certificate] = certificates.mine(db.session, worker.id)
    assert certificate.resource_id == course_id
    link = re.search(r'href="(/verify/[^"]+)"', credits_page).group(1)
    verified = client.get(link)
    assert verified.status_code == 200 and SHORT_COURSE in verified.get_data(as_text=True)
