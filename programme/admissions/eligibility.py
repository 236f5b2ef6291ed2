"""Who may receive dual-upgrade funding (资助对象), as pure rules with no app and no database.

Every rule is checked and reported, so a worker learns everything that stands in the way at once.
The contract rule follows DOMAIN.md: on the notice date the worker holds a contract that is in force
and whose term is at least one year (以上 includes one year exactly) or has no fixed end; the end date
is the last day in force, so 2025-09-01..2026-08-31 is exactly one year.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, timedelta

from flask_babel import gettext as _

ZHEJIANG = "330000"


class Level(enum.StrEnum):
    """Academic offering levels and what they admit."""

    zhuanke = "zhuanke"            # 专科
    gaoqiben = "gaoqiben"          # 高起本
    zhuanshengben = "zhuanshengben"  # 专升本


# Education ranked for the entry rule; 同等学力 counts as high-school level.
EDUCATION_RANK = {"none": 0, "junior_middle": 1, "high_school": 2, "secondary_vocational": 2, "equivalent": 2,
                  "zhuanke": 3, "benke": 4, "postgraduate": 5}
ENTRY_RANK = {Level.zhuanke: 2, Level.gaoqiben: 2, Level.zhuanshengben: 3}
JOB_LEVELS = ("front_line", "workshop_director", "above")
EMPLOYER_TYPES = ("enterprise", "government_organ", "public_institution")


@dataclass(frozen=True)
class Profile:
    job_level: str
    union_member: bool
    union_province: str | None
    employer_type: str
    contract_start: date | None
    contract_end: date | None  # None: no fixed end (无固定期限)
    education: str


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    message: str


@dataclass(frozen=True)
class Verdict:
    eligible: bool
    rules: list[RuleResult]


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 1 March in a common year. Past the years `date`
    holds it stops at date.max (or date.min): a rule never raises over a date nobody's contract has."""
    year = day.year + years
    if not MINYEAR <= year <= MAXYEAR:
        return date.max if years > 0 else date.min
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def contract_term_ok(start: date, end: date | None) -> bool:
    """At least one year: the last day in force is no earlier than the day before the anniversary."""
    return end is None or end >= add_years(start, 1) - timedelta(days=1)


def _job_level(p: Profile) -> RuleResult:
    ok = p.job_level in ("front_line", "workshop_director")
    return RuleResult("job_level", ok, _("一线职工或车间主任及以下，符合。") if ok else
                      _("资助对象限车间主任及以下的一线职工，您的岗位层级在车间主任以上。"))


def _union(p: Profile) -> RuleResult:
    if not p.union_member:
        return RuleResult("union", False, _("需要是浙江省工会会员，您目前不是工会会员。"))
    if p.union_province != ZHEJIANG:
        return RuleResult("union", False, _("需要是浙江省的工会会员，您所在的工会不在浙江省。"))
    return RuleResult("union", True, _("浙江省工会会员，符合。"))


def _contract(p: Profile, notice: date) -> RuleResult:
    when = notice.isoformat()
    if p.contract_start is None:
        return RuleResult("contract", False, _("需要与单位签订一年及以上的劳动合同，您还没有填写劳动合同。"))
    if p.contract_start > notice:
        return RuleResult("contract", False, _("劳动合同在当年发文之日（%(d)s）之后才开始，本年度不计入。", d=when))
    if p.contract_end is not None and p.contract_end < notice:
        return RuleResult("contract", False, _("劳动合同在当年发文之日（%(d)s）前已到期。", d=when))
    if not contract_term_ok(p.contract_start, p.contract_end):
        return RuleResult("contract", False, _("劳动合同期限不满一年（%(s)s 至 %(e)s），需要一年及以上或无固定期限。",
                                               s=p.contract_start.isoformat(), e=p.contract_end.isoformat()
                                               if p.contract_end else ""))
    if p.contract_end is None:
        return RuleResult("contract", True, _("无固定期限劳动合同，在当年发文之日有效，符合。"))
    return RuleResult("contract", True, _("劳动合同期限一年及以上，在当年发文之日有效，符合。"))


def _employer(p: Profile) -> RuleResult:
    if p.employer_type == "government_organ":
        return RuleResult("employer_type", False, _("机关工作人员不在资助范围内。"))
    if p.employer_type == "public_institution":
        return RuleResult("employer_type", False, _("事业单位工作人员不在资助范围内。"))
    return RuleResult("employer_type", True, _("企业职工，符合。"))


def _education(p: Profile, level: Level) -> RuleResult:
    """Seed §三(一): 专科 and 高起本 are for holders of a high-school or secondary-vocational diploma (below 专科);
    专升本 for 专科 holders who need a higher level. A holder of the level (or above) is not funded to take it again."""
    rank = EDUCATION_RANK.get(p.education, -1)
    if level == Level.zhuanshengben:
        if rank > EDUCATION_RANK["zhuanke"]:
            return RuleResult("education", False, _("您已具有本科或以上学历，不能报读专升本。"))
        ok = rank >= ENTRY_RANK[level]
        return RuleResult("education", ok, _("已具有专科学历，可报读专升本。") if ok else
                          _("报读专升本需要专科学历。"))
    if rank >= EDUCATION_RANK["zhuanke"]:
        return RuleResult("education", False, _("您已具有专科或以上学历，不能报读专科或高起本。"))
    ok = rank >= ENTRY_RANK[level]
    return RuleResult("education", ok, _("已具有高中、中专或同等学力，可报读专科或高起本。") if ok else
                      _("报读专科或高起本需要高中、中专（职高、技校）或同等学力。"))


def check(profile: Profile, level: Level, notice_date: date) -> Verdict:
    rules = [_job_level(profile), _union(profile), _contract(profile, notice_date), _employer(profile),
             _education(profile, level)]
    return Verdict(eligible=all(r.passed for r in rules), rules=rules)
