"""A worker's profile as the eligibility rules see it.

The fields the rules need (job level, union membership, employer type, contract dates, education) are
already kept on app.accounts.models.WorkerProfile and edited at /me/profile; keeping a second copy here
would let the two disagree, so this module reads that row rather than storing its own."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from app.accounts.models import Organisation, OrgLevel, User, WorkerProfile
from app.errors import Invalid
from programme.admissions import eligibility


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
