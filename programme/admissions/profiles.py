"""A worker's profile as the eligibility rules see it.

The fields the rules need (job level, union membership, employer type, contract dates, education) are
already kept on app.accounts.models.WorkerProfile and edited at /me/profile; keeping a second copy here
would let the two disagree, so this module reads that row rather than storing its own."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import events
from app.accounts.models import Organisation, OrgLevel, User, WorkerProfile
from app.errors import Conflict, Invalid
from programme.admissions import eligibility
from programme.admissions.models import Application, AppStatus

CHECKED = (AppStatus.verified, AppStatus.admitted, AppStatus.enrolled)  # the county union checked the identity


def rules_profile(profile: WorkerProfile | None) -> eligibility.Profile:
    """Missing answers fail their rule with a clear message rather than raising."""
    if profile is None:
        return eligibility.Profile("", False, None, "", None, None, "")
    province = profile.union.path.strip("/").split("/")[0] if profile.union is not None else None
    return eligibility.Profile(
        job_level=profile.job_level.value if profile.job_level else "",
        union_member=profile.union_member, union_province=province,
        employer_type=profile.employer_type.value if profile.employer_type else "",
        contract_start=profile.contract_start, contract_end=profile.contract_end,
        education=profile.education.value if profile.education else "")


def verdict(user: User, level: str, notice_date: date) -> eligibility.Verdict:
    """For a training project ("training") every rule but the academic entry level applies."""
    if level != "training":
        return eligibility.check(rules_profile(user.profile), eligibility.Level(level), notice_date)
    full = eligibility.check(rules_profile(user.profile), eligibility.Level.zhuanke, notice_date)
    rules = [r for r in full.rules if r.rule != "education"]
    return eligibility.Verdict(eligible=all(r.passed for r in rules), rules=rules)


def county_of(user: User) -> Organisation:
    """The county union that verifies this worker: the profile's union, or the county above its township."""
    union = user.profile.union if user.profile is not None else None
    while union is not None and union.level == OrgLevel.township:
        union = union.parent
    if union is None or union.level != OrgLevel.county:
        raise Invalid(_("请先在个人资料中选择您所在的县（市、区）或乡镇（街道）工会。"),
                      code="no_county", fields={"union": _("请选择县级或乡镇工会。")})
    return union


def register() -> None:
    """Called by the app factory: a worker's checked identity is no longer theirs to change."""
    events.subscribe(events.IDENTITY_CHANGING, refuse_checked_identity)


def refuse_checked_identity(session: Session, key: str) -> None:
    """A worker whose application the county union verified (identity and membership checked) may not change the
    name or ID number subsidies are then paid on: a worker did, to a stranger's whose certificate was on file
    unmatched, and claimed on it with every line of the reviewer's check matching."""
    checked = session.scalar(select(Application.id).where(
        Application.user_id == int(key), Application.status.in_(CHECKED)).limit(1))
    if checked is not None:
        raise Conflict(_("姓名和身份证号码已由县级工会核验，不能自行修改；如有错误，请联系核验的工会。"),
                       code="identity_checked")
