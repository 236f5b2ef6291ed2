"""Learning demo for `make run`: a short quiz on a published course of 杭州职业技术学院 (its demo staff account
can edit it), and the demo worker (李小梅) enrolled in it and in a resource that has a demo clip, so 我的学习 and
继续学习 show something at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.organisations import get_by_code
from app.accounts.policy import SYSTEM
from catalog.models import Lesson, Resource, ResourceStatus
from learning import enrolment, quizzes
from learning.analytics import demo as analytics_demo

WORKER_PHONE = "13900000007"  # app.demo's worker account
QUESTIONS = """安全电压一般不超过多少伏？
*36伏
110伏
220伏

发现有人触电，第一步应该做什么？
*切断电源
直接用手把人拉开
先打电话再说

更换灯泡前应当怎样做？
*断开开关并确认无电
开着开关快速更换
戴上棉手套就可以"""


def load(session: Session) -> dict[str, int]:
    worker = session.scalar(select(User).where(User.phone == WORKER_PHONE))
    provider = get_by_code(session, "INST-HZVTC")
    course = session.scalar(select(Resource).where(Resource.provider_id == provider.id,
                                                   Resource.status == ResourceStatus.published)
                            .order_by(Resource.id).limit(1))
    with_clip = session.scalar(select(Resource).join(Lesson, Lesson.resource_id == Resource.id)
                               .where(Lesson.media_asset_id.is_not(None),
                                      Resource.status == ResourceStatus.published).order_by(Resource.id).limit(1))
    counts = {"quizzes": 0, "enrolments": 0}
    if course is not None:
        quizzes.save_quiz(session, SYSTEM, course, {"title": "安全用电小测验", "pass_mark": "60",
                                                    "questions": QUESTIONS})
        counts["quizzes"] = 1
    for resource in {r.id: r for r in (course, with_clip) if r is not None}.values():
        if worker is not None:
            counts["enrolments"] += enrolment.enrol(session, worker, resource.id)[1]
    session.flush()
    counts.update(analytics_demo.load(session))
    return counts
