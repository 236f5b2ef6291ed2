"""Demo classmates for the course analytics (`make run`): fourteen learners enrolled over the last six weeks in the
demo institution's (杭州职业技术学院) first course with a video, twelve of whom opened its first video, so the
analytics page has a drop-off curve to read: a few watch to the end, most stop around a third of the way in, two
after the opening, two skip a stretch. Rows are written directly (not through heartbeats: no pacing to wait out);
the accounts have no usable password, so nobody signs in as them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.organisations import get_by_code
from app.db import utcnow
from catalog.models import Lesson, LessonType, Resource, ResourceStatus
from learning.devices import COMPUTER, PHONE, TABLET
from learning.models import Enrolment, LessonProgress

PROVIDER = "INST-HZVTC"
PHONES = [f"136000002{n:02d}" for n in range(14)]  # not 139...: those are the demo accounts one signs in with
# (share of the video watched as [start, end] pairs, Beijing hour first opened, device); None = enrolled only
PATTERNS: list[tuple[list[tuple[float, float]], int, str] | None] = [
    ([(0, 1)], 20, PHONE), ([(0, 1)], 21, PHONE), ([(0, 1)], 12, COMPUTER),
    ([(0, 0.33)], 20, PHONE), ([(0, 0.35)], 21, PHONE), ([(0, 0.34)], 22, PHONE), ([(0, 0.36)], 20, TABLET),
    ([(0, 0.32)], 19, PHONE), ([(0, 0.08)], 21, PHONE), ([(0, 0.1)], 7, PHONE),
    ([(0, 0.55), (0.8, 1)], 20, PHONE), ([(0, 0.5), (0.75, 1)], 12, COMPUTER), None, None,
]
NO_PASSWORD = "!"  # noqa: S105 - matches no password: demo classmates cannot sign in


def first_video(session: Session) -> Lesson | None:
    """The demo institution's first video (with a known length) in its first published course that has one."""
    provider = get_by_code(session, PROVIDER)
    return session.scalar(select(Lesson).join(Resource, Resource.id == Lesson.resource_id)
                          .where(Resource.provider_id == provider.id, Resource.status == ResourceStatus.published,
                                 Lesson.type == LessonType.video, Lesson.duration_s > 0)
                          .order_by(Resource.id, Lesson.position).limit(1))


def load(session: Session) -> dict[str, int]:
    lesson = first_video(session)
    if lesson is None:
        return {"analytics learners": 0}
    now, duration = utcnow(), float(lesson.duration_s)
    for n, (phone, pattern) in enumerate(zip(PHONES, PATTERNS, strict=True)):
        user = User(phone=phone, name=f"演示学员{n + 1:02d}", password_hash=NO_PASSWORD)
        session.add(user)
        session.flush()
        enrolled = now - timedelta(days=40 - 3 * n, hours=n)
        device = pattern[2] if pattern else PHONE
        session.add(Enrolment(user_id=user.id, resource_id=lesson.resource_id, enrolled_at=enrolled,
                              last_active_at=enrolled, device=device))
        if pattern is None:
            continue
        spans, hour, _device = pattern
        watched = [[round(a * duration, 1), round(b * duration, 1)] for a, b in spans]
        covered = sum(b - a for a, b in watched)
        day = (enrolled + timedelta(days=1)).replace(hour=(hour - 8) % 24, minute=10 * (n % 6))
        session.add(LessonProgress(
            user_id=user.id, lesson_id=lesson.id, resource_id=lesson.resource_id, watched=watched, covered_s=covered,
            position_s=watched[-1][1], furthest_s=watched[-1][1], first_seen_at=day, updated_at=day + timedelta(
                seconds=covered), completed_at=day + timedelta(seconds=covered) if covered >= 0.9 * duration else None))
    session.execute(update(Resource).where(Resource.id == lesson.resource_id).values(
        enrolment_count=Resource.enrolment_count + len(PHONES), updated_at=Resource.updated_at))
    session.flush()
    return {"analytics learners": len(PHONES)}
