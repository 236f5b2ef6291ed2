"""An ID number is one person's whatever digits it is typed in. Full-width digits (what a Chinese phone keyboard's
全角 mode types) passed the checksum and were stored as typed, so they were not the ASCII number already on another
account: the same person held a second account with "their" ID number (a second county place, a second subsidy),
and the checks that compare ID numbers as strings (a department's own records, a merge's ID check) no longer saw
it as theirs. Performed as attacks, plus the race of two saves of one number at the same moment."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import merge, profiles
from app.accounts.models import User, WorkerProfile
from app.errors import Invalid
from app.text import id_number_form, is_id_number
from programme.exchange import imports as exchange
from programme.exchange.models import CertificateRecord
from tests import factories
from tests.app.identities import identity_settled
from tests.app.test_profile import GOOD, VALID_ID
from tests.programme.helpers import hr_department, worker

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
WIDE = VALID_ID.translate(FULL_WIDTH)
CERT_HEADER = "身份证号,姓名,职业,等级,证书编号,发证日期\n"


@pytest.mark.parametrize(("typed", "number"), [
    (WIDE, VALID_ID), (f"　{VALID_ID.lower()} ", VALID_ID), (VALID_ID[:10] + "１２３１００２x", VALID_ID)],
    ids=["full-width", "spaced-lower-x", "mixed-widths"])
def test_every_form_of_one_number_is_the_same_number(typed, number):
    assert id_number_form(typed) == number and is_id_number(id_number_form(typed))


@pytest.mark.parametrize("typed", [
    VALID_ID.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),  # another script's digits: not folded, refused
    VALID_ID[:9] + "\u200b" + VALID_ID[9:],  # a zero-width space inside (NFKC keeps it)
    "110105194912310021",  # wrong check digit
], ids=["arabic-indic", "zero-width-space", "check-digit"])
def test_what_is_not_an_ascii_number_is_not_an_id_number(typed):
    assert not is_id_number(id_number_form(typed))


def test_a_second_account_cannot_hold_an_id_number_typed_in_full_width_digits(db):
    first, second = factories.user(), factories.user()
    profiles.update_profile(db.session, first, first, GOOD)
    db.session.commit()
    with pytest.raises(Invalid) as err:
        profiles.update_profile(db.session, second, second, {**GOOD, "id_number": WIDE})
    assert err.value.fields["id_number"] == "该身份证号码已被其他账号使用。"
    db.session.rollback()
    assert list(db.session.scalars(select(WorkerProfile.id_number).where(WorkerProfile.id_number.is_not(None)))) \
        == [VALID_ID]


def test_an_id_number_is_stored_in_ascii_digits(db):
    person = factories.user()
    profile = profiles.update_profile(db.session, person, person, {**GOOD, "id_number": WIDE})
    assert profile.id_number == VALID_ID  # one form, so every comparison by string (imports, claims, merges) holds


def test_a_clerk_cannot_import_their_own_certificate_by_typing_their_number_full_width(app, db):
    hr, clerk = hr_department()
    profiles.update_profile(db.session, clerk, clerk, {**GOOD, "real_name": "赵六"})
    data = (CERT_HEADER + f"{WIDE},赵六,电工,高级工,S-SELF-W,2026-05-20\n").encode()
    report = exchange.import_file(db.session, clerk, hr, "certificate", data, "c.csv", valid_only=True)
    assert report.imported == 0 and report.errors[0].column == "身份证号" and "本人" in report.errors[0].message
    assert db.session.query(CertificateRecord).count() == 0


def test_an_imported_full_width_number_is_kept_ascii_and_finds_its_worker(app, db):
    person = worker("吴十")
    number = person.profile.id_number
    hr, clerk = hr_department()
    data = (CERT_HEADER + f"{number.translate(FULL_WIDTH)},吴十,电工,高级工,S-W-1,2026-05-20\n").encode()
    assert exchange.import_file(db.session, clerk, hr, "certificate", data, "c.csv").imported == 1
    record = db.session.scalars(select(CertificateRecord)).one()
    assert (record.id_number, record.user_id) == (number, person.id)


def test_two_accounts_of_one_number_in_two_forms_merge_on_the_number_checked(db):
    """What the migration leaves (a full-width profile beside the ASCII one) is put right by a merge: its ID check
    compares the one form of each number."""
    target, source = factories.user(), factories.user()
    profiles.update_profile(db.session, target, target, GOOD)
    identity_settled(db.session, target)  # filled in long ago: no hold on a merge by ID card
    db.session.add(WorkerProfile(user=source, real_name="张三明", id_number=WIDE))  # as kept before the fix
    db.session.flush()
    merge.merge(db.session, factories.user("admin"), source, target, id_number=WIDE)
    assert db.session.get(User, source.id).merged_into_id == target.id


def test_two_saves_of_one_number_at_once_answer_the_field_error_and_keep_the_rest(db, monkeypatch):
    """Both saves checked before either was written: the second meets the unique index, and answers as the check
    would have, rather than with a 500, keeping what its transaction wrote before."""
    first, second = factories.user(), factories.user()
    profiles.update_profile(db.session, first, first, GOOD)
    db.session.commit()
    second.name = "新称呼"
    db.session.flush()
    real, calls = profiles._id_holder, []

    def holder(session, number):  # the second save's check ran before the first save was committed
        calls.append(number)
        return None if len(calls) == 1 else real(session, number)

    monkeypatch.setattr(profiles, "_id_holder", holder)
    with pytest.raises(Invalid) as err:
        profiles.update_profile(db.session, second, second, GOOD)
    assert err.value.fields == {"id_number": "该身份证号码已被其他账号使用。"}
    assert db.session.scalar(select(User.name).where(User.id == second.id)) == "新称呼"
    assert db.session.scalar(select(WorkerProfile.user_id).where(WorkerProfile.id_number == VALID_ID)) == first.id
    assert db.session.scalar(select(WorkerProfile).where(WorkerProfile.user_id == second.id)) is None
