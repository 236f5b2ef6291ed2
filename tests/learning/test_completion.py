"""A resource completes when every lesson is complete (video by watched share, reading by reaching the end
after a minimum time, external by confirmation) and its quiz, if any, is passed; the credit bank is told once."""

from __future__ import annotations

import time

import pytest

from app.accounts.policy import SYSTEM
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from catalog import service as catalog_service
from learning import completion, enrolment, quizzes
from learning.models import Enrolment
from tests import factories

QUESTIONS = "安全电压一般不超过多少伏？\n*36伏\n110伏\n220伏\n\n触电后第一步？\n*切断电源\n直接用手拉开"


def _watch_all(learner, lesson):
    for start in range(0, lesson.duration_s, 15):
        end = min(start + 15, lesson.duration_s)
        result = learner.beat(lesson, end, [[start, end]], at_s=end)
    return result


def _read(learner, lesson, seconds: float):
    start = learner.start_ms / 1000 + 100
    return learner.beat(lesson, 100, [[start, start + seconds]], at_s=100 + seconds, at_end=True)


def _enrolment(learner) -> Enrolment:
    db.session.expire_all()
    return enrolment.enrolment_of(db.session, learner.user.id, learner.resource.id)


def test_everything_done_completes_the_resource_once_and_tells_the_credit_bank(learner):
    first, second, reading, external = learner.resource.lessons
    _watch_all(learner, first)
    assert not _read(learner, reading, 10)["complete"]  # reached the end too fast
    assert _read(learner, reading, 40)["complete"]
    completion.confirm_external(db.session, learner.user.id, external)
    db.session.commit()
    assert _enrolment(learner).completed_at is None  # one video still to watch
    assert _watch_all(learner, second)["resource_complete"]
    stamped = _enrolment(learner).completed_at
    assert stamped is not None
    assert not completion.check_resource(db.session, learner.user.id, learner.resource.id)  # once only
    from credits.models import Certificate  # part 2's certificate: issued once, lightly checked

    assert db.session.query(Certificate).filter_by(user_id=learner.user.id).count() == 1


def test_a_quiz_must_be_passed_and_bad_answers_are_refused(learner):
    quiz = quizzes.save_quiz(db.session, SYSTEM, learner.resource, {"title": "课后测验", "pass_mark": "100",
                                                                   "questions": QUESTIONS})
    for lesson in learner.resource.lessons[:2]:
        _watch_all(learner, lesson)
    _read(learner, learner.resource.lessons[2], 40)
    completion.confirm_external(db.session, learner.user.id, learner.resource.lessons[3])
    db.session.commit()
    assert _enrolment(learner).completed_at is None  # the quiz is still to pass
    with pytest.raises(Invalid) as err:
        quizzes.submit(db.session, learner.user.id, quiz, ["0", ""])
    assert err.value.code == "unanswered" and "q2" in err.value.fields
    with pytest.raises(Invalid):
        quizzes.submit(db.session, learner.user.id, quiz, ["0", "7"])  # no such choice
    with pytest.raises(Invalid):  # a digit to str.isdigit, not to int(): was a 500
        quizzes.submit(db.session, learner.user.id, quiz, ["0", "²"])
    with pytest.raises(Invalid):  # more digits than int() reads: was a 500
        quizzes.submit(db.session, learner.user.id, quiz, ["0", "9" * 5000])
    with pytest.raises(Conflict):  # only enrolled learners take it
        quizzes.submit(db.session, factories.user("worker").id, quiz, ["0", "0"])
    assert not quizzes.submit(db.session, learner.user.id, quiz, ["0", "1"]).passed
    assert quizzes.submit(db.session, learner.user.id, quiz, ["0", "0"]).passed
    db.session.commit()
    assert _enrolment(learner).completed_at is not None


def test_a_quiz_is_tried_five_times_in_24_hours(learner):
    """A review's attack: with the score shown after each try, changing one answer at a time passed a ten-question
    quiz in 31 tries, knowing nothing. Five scored tries a day: the first five here, then refused until a day on."""
    from datetime import timedelta

    from app.db import utcnow
    from learning.models import QuizAttempt

    quiz = quizzes.save_quiz(db.session, SYSTEM, learner.resource, {"title": "测验", "pass_mark": "100",
                                                                     "questions": QUESTIONS})
    for _ in range(quizzes.ATTEMPTS_PER_DAY):
        assert not quizzes.submit(db.session, learner.user.id, quiz, ["1", "1"]).passed
    with pytest.raises(Conflict) as err:
        quizzes.submit(db.session, learner.user.id, quiz, ["0", "0"])
    assert err.value.code == "quiz_attempts_used"
    for attempt in db.session.query(QuizAttempt).filter_by(user_id=learner.user.id):
        attempt.at = utcnow() - timedelta(hours=25)
    db.session.flush()
    assert quizzes.submit(db.session, learner.user.id, quiz, ["0", "0"]).passed


def test_quiz_authoring_checks_everything_and_who_may(learner):
    staff, other = factories.user("institution_staff"), factories.user("institution_staff", "INST-T2")
    catalog_service.withdraw(db.session, staff, learner.resource, "加一份测验")
    with pytest.raises(Forbidden):
        quizzes.save_quiz(db.session, other, learner.resource, {"title": "x", "pass_mark": "60",
                                                                "questions": QUESTIONS})
    with pytest.raises(Forbidden):
        quizzes.save_quiz(db.session, learner.user, learner.resource, {"title": "x", "pass_mark": "60",
                                                                       "questions": QUESTIONS})
    with pytest.raises(Invalid) as err:
        quizzes.save_quiz(db.session, staff, learner.resource, {
            "title": "", "pass_mark": "120", "questions": "只有题目\n\n两个正确\n*甲\n*乙\n\n没有标答案\n甲\n乙"})
    assert set(err.value.fields) == {"title", "pass_mark", "questions"}
    assert "第1题" in err.value.fields["questions"] and "第2题" in err.value.fields["questions"]
    assert quizzes.quiz_of(db.session, learner.resource.id) is None  # nothing saved
    saved = quizzes.save_quiz(db.session, SYSTEM, learner.resource, {"title": "测验", "pass_mark": "60",
                                                                     "questions": QUESTIONS})
    assert quizzes.as_text(saved) == QUESTIONS


def test_completion_ratio_is_set_per_resource(learner):
    with pytest.raises(Invalid) as err:
        completion.save_rules(db.session, SYSTEM, learner.resource, "40", "abc")
    assert set(err.value.fields) == {"completion_percent", "min_read_s"}
    completion.save_rules(db.session, SYSTEM, learner.resource, "50", "30")
    db.session.commit()
    lesson = learner.resource.lessons[1]  # 100 s
    for start in range(0, 45, 15):
        learner.beat(lesson, start + 15, [[start, start + 15]], at_s=start + 15)
    assert learner.beat(lesson, 50, [[45, 50]], at_s=50)["complete"]


def test_a_published_courses_rules_and_quiz_change_only_through_review(learner):
    """The attack: the author of a published course makes its credits cheap without a reviewer seeing it (pass
    mark 1% on a one-question quiz, no reading time, half of each video). Refused while it is published, by
    each way in; allowed once it is withdrawn (it then goes back through review to reach learners again)."""
    staff = factories.user("institution_staff")
    db.session.commit()
    resource = learner.resource
    attempts = (lambda: completion.save_rules(db.session, staff, resource, "50", "0"),
                lambda: quizzes.save_quiz(db.session, staff, resource, {"title": "测验", "pass_mark": "1",
                                                                        "questions": "1+1=?\n*2\n3"}),
                lambda: quizzes.save_settings(db.session, staff, resource, {
                    "completion_percent": "50", "min_read_s": "0", "title": "测验", "pass_mark": "1",
                    "questions": "1+1=?\n*2\n3"}))
    for attempt in attempts:
        with pytest.raises(Conflict) as err:
            attempt()
        assert err.value.code == "not_editable"
    db.session.rollback()
    assert completion.rules_for(db.session, resource.id) == completion.Rules()
    assert quizzes.quiz_of(db.session, resource.id) is None
    assert not completion.may_change_rules(staff, resource)
    catalog_service.withdraw(db.session, staff, resource, "调整学习规则")
    completion.save_rules(db.session, staff, resource, "95", "60")
    assert completion.rules_for(db.session, resource.id) == completion.Rules(0.95, 60)


def test_external_confirmation_only_for_external_lessons(learner):
    with pytest.raises(Conflict):
        completion.confirm_external(db.session, learner.user.id, learner.resource.lessons[0])


def test_concurrent_completion_of_the_last_two_lessons_completes_the_resource(app, learner):
    """Two threads finish the two remaining lessons at the same moment: the resource still completes, once."""
    import threading

    from learning import heartbeats

    reading, external = learner.resource.lessons[2:]
    _read(learner, reading, 40)
    completion.confirm_external(db.session, learner.user.id, external)
    first, second = learner.resource.lessons[:2]
    for lesson in (first, second):  # all but the last beat of each
        for start in range(0, lesson.duration_s - 15, 15):
            learner.beat(lesson, start + 15, [[start, start + 15]], at_s=start + 15)
    last = [learner.body(lesson, lesson.duration_s, [[lesson.duration_s - 15, lesson.duration_s]],
                         at_s=lesson.duration_s) for lesson in (first, second)]
    barrier, user_id, errors = threading.Barrier(2), learner.user.id, []

    def run(body):
        with app.app_context():
            try:
                barrier.wait()
                for _attempt in range(5):
                    try:
                        heartbeats.record(db.session, user_id, heartbeats.parse(body))
                        db.session.commit()
                        return
                    except Exception as exc:  # noqa: BLE001 - SQLite "database is locked": retried like the view
                        db.session.rollback()
                        if "locked" not in str(exc):
                            raise
                        time.sleep(0.05)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(body,)) for body in last]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _enrolment(learner).completed_at is not None
