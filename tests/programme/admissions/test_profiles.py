"""The verdict a worker sees comes from the stored profile: the contract boundary on the notice date,
excluded employers, and each education level against each offering level."""

from __future__ import annotations

from datetime import date

import pytest

from programme.admissions import profiles
from tests.programme.helpers import NOTICE, worker

LEVELS = ("zhuanke", "gaoqiben", "zhuanshengben")
EDUCATION_OK = {"none": set(), "junior_middle": set(), "high_school": {"zhuanke", "gaoqiben"},
                "secondary_vocational": {"zhuanke", "gaoqiben"}, "equivalent": {"zhuanke", "gaoqiben"},
                "zhuanke": set(LEVELS), "benke": set(LEVELS), "postgraduate": set(LEVELS)}


def rule(user, name: str, level: str = "zhuanke", notice: date = NOTICE):
    return next(r for r in profiles.verdict(user, level, notice).rules if r.rule == name)


@pytest.mark.parametrize(("start", "end", "ok"), [
    ("2025-09-01", "2026-08-31", True),    # exactly one year, in force on the notice date
    ("2025-09-02", "2026-08-31", False),   # one day short
    ("2026-03-02", "2027-03-01", False),   # starts after the notice date
    ("2025-01-01", "2026-02-28", False),   # ended before the notice date
    ("2024-01-01", "", True),              # no fixed end
])
def test_contract_boundary_on_the_notice_date(db, start, end, ok):
    assert rule(worker(contract_start=start, contract_end=end), "contract").passed is ok


@pytest.mark.parametrize("employer_type", ["government_organ", "public_institution"])
def test_excluded_employers(db, employer_type):
    result = rule(worker(employer_type=employer_type), "employer_type")
    assert not result.passed and "不在资助范围内" in result.message


def test_each_education_against_each_level(db):
    for education, allowed in EDUCATION_OK.items():
        user = worker(education=education)
        for level in LEVELS:
            assert rule(user, "education", level).passed is (level in allowed), (education, level)


def test_an_empty_profile_fails_with_reasons_not_errors(db):
    from tests import factories

    verdict = profiles.verdict(factories.user(), "zhuanke", NOTICE)
    assert not verdict.eligible and all(r.message for r in verdict.rules)
    assert [r.passed for r in verdict.rules] == [False, False, False, True, False]
