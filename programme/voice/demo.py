"""Demo data for the programme's support pages: the policy page, a worker's answered and open enquiries,
a few course ratings (each after a first quarter-minute of the course watched: a survey answer needs study), and
registrations through township QR codes so the reports have something to show. Written by us; every row goes
through the services the pages use (the enrolments dated three hours back, so the watching fits in before now)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import organisations, profiles, service
from app.accounts.models import OrgKind, User
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.demo import DEMO_PASSWORD
from catalog.models import LessonType, Resource, ResourceStatus
from learning import heartbeats
from learning.enrolment import enrol
from programme.voice import enquiries, surveys

POLICY = ("## 谁可以申请学历提升补贴？\n\n"  # Markdown, as the province union writes it in the form
          "车间主任及以下的一线职工，是浙江省工会会员，与用人单位签订一年及以上劳动合同（以当年发文之日为准），"
          "且不在机关、事业单位工作。\n\n"
          "## 补贴多少？\n\n"
          "- 取得大专及以上学历，或高级工及以上职业资格（技能等级）证书后申请。\n"
          "- 金额为省级标准，加上所在市、县（市、区）的配套补贴。\n\n"
          "## 有问题找谁？\n\n"
          "在“我的咨询”中提问，由您所在乡镇（街道）工会回复，两天内未回复的转县（市、区）总工会；"
          "也可以到附近的教育服务站（点）当面咨询。")


def _user(session: Session, phone: str) -> User | None:
    return session.scalar(select(User).where(User.phone == phone))


def _watched(session: Session, worker: User, resource: Resource, minute: int) -> bool:
    """The worker enrolled three hours ago and, `minute` minutes into the hour before last, watched the start of the
    resource's first video (one heartbeat, as her phone sends it); False if it has no video."""
    lesson = next((item for item in resource.lessons if item.type == LessonType.video and item.duration_s > 0), None)
    if lesson is None:
        return False
    taken, _new = enrol(session, worker, resource.id)
    taken.enrolled_at = taken.last_active_at = min(taken.enrolled_at, utcnow() - timedelta(hours=3))
    session.flush()
    span = min(15, lesson.duration_s / 2)  # started, never finished (the tests' demo clips last seconds)
    at = utcnow() - timedelta(hours=2) + timedelta(minutes=minute, seconds=span)
    at_ms = int((at - datetime(1970, 1, 1)).total_seconds() * 1000)
    heartbeats.record(session, worker.id, heartbeats.parse({"lesson_id": lesson.id, "position_s": span,
                                                            "watched": [[0, span]], "client_time": at_ms, "seq": 1}))
    return True


def load(session: Session) -> dict[str, int]:
    """Called from app.demo.load after the accounts, the catalog and learning demo exist."""
    counts = {"policy_pages": 0, "enquiries": 0, "survey_responses": 0}
    enquiries.save_policy_page(session, SYSTEM, title="政策与常见问题", body=POLICY)
    counts["policy_pages"] = 1
    worker, county = _user(session, "13900000007"), _user(session, "13900000004")
    if worker is None:
        return counts
    profiles.update_profile(session, worker, worker, {"union_member": True, "union_code": "330106"})
    asked = enquiries.ask(session, worker, subject="专升本能申请补贴吗？",
                          question="我是大专毕业，想读专升本，毕业后能领补贴吗？")
    if county is not None:
        enquiries.answer(session, county, asked, "可以。取得本科学历后，凭毕业证书在平台提交补贴申请，县总工会审核。")
    enquiries.ask(session, worker, subject="合同快到期了", question="劳动合同还有半年到期，今年还能报名吗？")
    counts["enquiries"] = 2
    published = session.scalars(select(Resource).where(Resource.status == ResourceStatus.published)
                                .order_by(Resource.id).limit(10)).all()
    scores = [5, 4, 4]
    for minute, resource in enumerate(published):
        if not scores or not _watched(session, worker, resource, minute):
            continue
        score = scores.pop(0)
        surveys.respond(session, worker, surveys.target(session, "resource", resource.id), satisfaction=score,
                        teaching=score, comment="讲得清楚，手机上看很方便。")
        counts["survey_responses"] += 1
    township = organisations.create_organisation(session, SYSTEM, parent_code="330106", code="330106001",
                                                 name="西溪街道总工会", kind=OrgKind.union)
    for index in range(3):
        service.register(session, phone=f"1390000010{index}", password=DEMO_PASSWORD,
                         name=f"扫码职工{index + 1}", referred_by=township)
    session.flush()
    return counts
