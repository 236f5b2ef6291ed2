"""Questions and wishes demo for `make run`: the demo worker (李小梅) asked a question on the first lesson of
杭州职业技术学院's course, its demo teacher answered and she marked the answer helpful (none is left waiting: the desk
journey, tests/e2e/test_desk_journey.py, counts the teacher's demo desk); two 我想学 wishes with votes from the
QR-registered workers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.organisations import get_by_code
from catalog.models import Resource, ResourceStatus
from learning import enrolment, questions, wishes
from learning.demo import WORKER_PHONE

TEACHER_PHONE = "13900000005"  # app.demo's 杭州职业技术学院 course manager
VOTERS = ("13900000100", "13900000101", "13900000102")


def _user(session: Session, phone: str) -> User | None:
    return session.scalar(select(User).where(User.phone == phone))


def load(session: Session) -> dict[str, int]:
    worker, teacher = _user(session, WORKER_PHONE), _user(session, TEACHER_PHONE)
    course = session.scalar(select(Resource).where(Resource.provider_id == get_by_code(session, "INST-HZVTC").id,
                                                   Resource.status == ResourceStatus.published)
                            .order_by(Resource.id).limit(1))
    counts = {"questions": 0, "wishes": 0}
    if worker is None or teacher is None or course is None or not course.lessons:
        return counts
    enrolment.enrol(session, worker, course.id)
    lesson = course.lessons[0]
    asked = questions.ask(session, worker, lesson, "漏电保护器跳闸后，可以直接合上吗？")
    answer = questions.answer(session, teacher, asked, "先不要直接合闸。**先查原因**：断开负载，逐路排查漏电的电器，"
                                                       "排除故障后再合闸；多次跳闸请找持证电工。")
    questions.mark_helpful(session, worker, answer)
    voters = [u for u in (_user(session, phone) for phone in VOTERS) if u is not None]
    forklift = wishes.make(session, worker, "叉车操作证", "想考叉车证，希望有晚上能学的课程。")
    welding = wishes.make(session, voters[0] if voters else worker, "焊工（电焊）入门")
    for voter in voters:
        wishes.vote(session, voter, forklift)
    counts.update(questions=1, wishes=2 if welding else 1)
    session.flush()
    return counts
