"""The kinds of message the centre carries, what a person sees them called, and which must reach the person by
text message too (decisions about their application or money: they may not open the site for weeks)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    key: str
    label: LazyString
    sms: bool = False  # also texted through app.sms's gateway


APPLICATION = "application_decided"
SUBSIDY = "subsidy_decided"
RECOGNITION = "recognition_reviewed"
ENQUIRY = "enquiry_replied"
CERTIFICATE = "certificate_issued"
COURSE = "course_updated"
REMINDER = "reminder"
QUESTION = "lesson_question"  # to teachers: a question on their course; to the asker: it was answered
WISH = "wish_answered"  # to the wishers: an institution answered a 我想学 wish with a course
SUPERVISION = "supervision"  # to a unit's staff: a 督办 to answer; to its sender: it was answered
ACCOUNT = "account_security"  # to the owner: their name or ID number changed (texted by app.accounts.profiles)
INVITATION = "staff_invitation"  # to the holder of a number an organisation invited to be its staff

KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind(APPLICATION, _l("报读申请结果"), sms=True),
    Kind(SUBSIDY, _l("补贴审核结果"), sms=True),
    Kind(RECOGNITION, _l("学分认定结果")),
    Kind(ENQUIRY, _l("咨询回复")),
    Kind(CERTIFICATE, _l("证书发放")),
    Kind(COURSE, _l("课程更新")),
    Kind(REMINDER, _l("学习提醒")),
    Kind(QUESTION, _l("课程问答")),
    Kind(WISH, _l("我想学回应")),
    Kind(SUPERVISION, _l("督办")),
    Kind(ACCOUNT, _l("账号安全")),
    Kind(INVITATION, _l("任职邀请")),
)}
