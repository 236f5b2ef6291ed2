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
                "zhuanke": {"zhuanshengben"}, "benke": set(), "postgraduate": set()}  # seed §三(一): no level twice


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


def test_a_verified_identity_is_not_the_worker_s_to_change(db, client, auth):
    """A reviewer's attack: once the county had verified the application, the worker put a stranger's name and ID
    number in their own profile (the stranger's skill certificate was on file, unmatched), claimed on it, and every
    line of the union's check matched: paid. The name and ID number are now refused once checked; the rest of the
    profile stays the worker's, and a rejected applicant may still correct theirs."""
    from app.accounts import profiles as account_profiles
    from app.errors import Invalid
    from app.extensions import db as _db
    from programme.admissions import applications
    from tests import factories
    from tests.conftest import post_form
    from tests.programme.helpers import ELIGIBLE, OPEN_DAY, id_number, offering, open_year, staff

    plan = open_year()
    me = worker("王攻击")
    mine = me.profile.id_number
    application = applications.apply(_db.session, me, offering(plan), OPEN_DAY)
    account_profiles.update_profile(_db.session, me, me, {**ELIGIBLE, "real_name": "王功击", "id_number": mine},
                                    password=factories.PASSWORD)  # a typo
    applications.verify(_db.session, staff(code="330106"), application, True)
    for change in ({"real_name": "李受害", "id_number": id_number(555)}, {"real_name": "王功击",
                                                                          "id_number": id_number(555)}):
        with pytest.raises(Invalid) as err:
            account_profiles.update_profile(_db.session, me, me, {**ELIGIBLE, **change}, password=factories.PASSWORD)
        assert err.value.fields.keys() == {k for k in ("real_name", "id_number") if change[k] != getattr(
            me.profile, k)} and "已由县级工会核验" in err.value.fields["id_number"]
    assert (me.profile.real_name, me.profile.id_number) == ("王功击", mine)
    account_profiles.update_profile(_db.session, me, me, {**ELIGIBLE, "real_name": "王功击", "id_number": mine,
                                                          "employer": "新单位"})  # the rest is still theirs to edit
    _db.session.commit()
    auth.login(me.phone)
    page = post_form(client, "/me/profile", {**ELIGIBLE, "real_name": "李受害", "id_number": id_number(555),
                                             "current_password": factories.PASSWORD})
    assert page.status_code == 400 and "已由县级工会核验" in page.get_data(as_text=True)
    other = worker("赵六")
    rejected = applications.apply(_db.session, other, offering(plan, institution="INST-T2"), OPEN_DAY)
    applications.verify(_db.session, staff(code="330106"), rejected, False, note="身份证号码与证件不符")
    account_profiles.update_profile(_db.session, other, other, {**ELIGIBLE, "real_name": "赵六",
                                                                "id_number": id_number(777)},
                                    password=factories.PASSWORD)
    assert other.profile.id_number == id_number(777)
