"""Eligibility boundaries: the contract of exactly one year on the notice date and one day short,
each excluded employer type, each education level against each offering level."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from programme.admissions.eligibility import EDUCATION_RANK, Level, Profile, add_years, check, contract_term_ok

NOTICE = date(2026, 3, 1)
GOOD = Profile(job_level="front_line", union_member=True, union_province="330000", employer_type="enterprise",
               contract_start=date(2025, 9, 1), contract_end=date(2026, 8, 31), education="high_school")


def failed(profile, level=Level.zhuanke, notice=NOTICE):
    verdict = check(profile, level, notice)
    assert [r.rule for r in verdict.rules] == ["job_level", "union", "contract", "employer_type", "education"]
    assert verdict.eligible == all(r.passed for r in verdict.rules)
    return {r.rule: r.message for r in verdict.rules if not r.passed}


def test_a_typical_worker_is_eligible():
    assert failed(GOOD) == {}


def test_exactly_one_year_qualifies_and_one_day_less_does_not():
    assert failed(GOOD) == {}
    short = failed(replace(GOOD, contract_start=date(2025, 9, 2)))
    assert list(short) == ["contract"] and "不满一年" in short["contract"]


def test_six_month_contract_is_explained():
    six = failed(replace(GOOD, contract_start=date(2026, 1, 1), contract_end=date(2026, 6, 30)))
    assert "不满一年" in six["contract"] and "2026-01-01" in six["contract"]


def test_open_ended_contract_qualifies():
    assert failed(replace(GOOD, contract_start=date(2026, 2, 28), contract_end=None)) == {}


def test_contract_must_be_in_force_on_the_notice_date():
    assert "之后才开始" in failed(replace(GOOD, contract_start=date(2026, 3, 2), contract_end=None))["contract"]
    assert failed(replace(GOOD, contract_start=NOTICE, contract_end=add_years(NOTICE, 1) - timedelta(1))) == {}
    expired = replace(GOOD, contract_start=date(2024, 1, 1), contract_end=date(2026, 2, 28))
    assert "已到期" in failed(expired)["contract"]
    assert failed(replace(GOOD, contract_start=date(2024, 1, 1), contract_end=NOTICE)) == {}  # last day in force


def test_no_contract_on_file():
    assert "还没有填写" in failed(replace(GOOD, contract_start=None, contract_end=None))["contract"]


@pytest.mark.parametrize(("employer_type", "word"), [("government_organ", "机关"), ("public_institution", "事业单位")])
def test_government_organs_and_public_institutions_are_excluded(employer_type, word):
    assert word in failed(replace(GOOD, employer_type=employer_type))["employer_type"]


@pytest.mark.parametrize(("job_level", "ok"), [("front_line", True), ("workshop_director", True), ("above", False)])
def test_job_level(job_level, ok):
    assert ("job_level" not in failed(replace(GOOD, job_level=job_level))) is ok


def test_union_membership_in_zhejiang():
    assert "不是工会会员" in failed(replace(GOOD, union_member=False))["union"]
    assert "不在浙江省" in failed(replace(GOOD, union_province="320000"))["union"]


ADMITTED = {  # seed §三(一): funded to raise a level, never to take one already held
    Level.zhuanke: {"high_school", "secondary_vocational", "equivalent"},
    Level.gaoqiben: {"high_school", "secondary_vocational", "equivalent"},
    Level.zhuanshengben: {"zhuanke"},
}


@pytest.mark.parametrize("level", list(Level))
@pytest.mark.parametrize("education", list(EDUCATION_RANK))
def test_each_education_against_each_level(level, education):
    errors = failed(replace(GOOD, education=education), level)
    assert ("education" not in errors) is (education in ADMITTED[level])


def test_leap_day_contracts():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 3, 1)
    assert contract_term_ok(date(2024, 2, 29), date(2025, 2, 28))
    assert not contract_term_ok(date(2024, 2, 29), date(2025, 2, 27))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 800))
def test_term_rule_matches_counting_days(start, days):
    """A term qualifies iff the day after its last day is on or after the first anniversary."""
    end = start + timedelta(days=days)
    assert contract_term_ok(start, end) is (end + timedelta(days=1) >= add_years(start, 1))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_one_day_short_of_a_year_never_qualifies(start):
    anniversary = add_years(start, 1)
    assert contract_term_ok(start, anniversary - timedelta(days=1))
    assert not contract_term_ok(start, anniversary - timedelta(days=2))
