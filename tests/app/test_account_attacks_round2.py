"""Attacks on accounts, second review: SMS-code limits raced by requests sent at the same moment, a township's
division code taken by another county's enterprise, a password change that made a shared computer's login last 30
days, and the lost-phone form telling whether an old number is registered."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from app.accounts import codes, continuity, organisations, profiles
from app.accounts.models import PhoneChangeRequest, VerificationCode
from app.errors import Invalid, TooManyRequests
from app.extensions import db as _db
from app.sms import SmsMessage
from tests import factories
from tests.app.sms_codes import last_code, texts
from tests.app.test_profile import GOOD
from tests.conftest import post_form

TOGETHER = 12


def _at_once(app, count: int, act: Callable[[int], None]) -> None:
    """`count` requests in threads, each with its own app context and session (as the web server runs them)."""
    def run(i: int) -> None:
        with app.app_context():
            act(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _wait_for_the_others(monkeypatch, module, name: str, count: int) -> None:
    """Every request stops after `module.name` until all `count` have reached it (at most 2 s): they have all read
    what they count before any writes, as when they arrive at the same moment."""
    barrier, original = threading.Barrier(count, timeout=2), getattr(module, name)

    def then_wait(*args, **kwargs):
        found = original(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(module, name, then_wait)


def test_wrong_codes_sent_at_once_each_cost_a_try_and_the_right_one_then_fails(app, db, monkeypatch):
    """12 wrong guesses at a reset code at the same moment cost it one try, and the right code (from a 13th guess or
    the list) then reset the victim's password. Each guess must count: after 5 the code is void."""
    phone = factories.user().phone
    continuity.send_reset_code(_db.session, phone, source="10.0.0.1")
    _db.session.commit()
    right = last_code(app, phone)
    _wait_for_the_others(monkeypatch, codes, "_digest", TOGETHER)
    answers: list[str] = []

    def guess(i: int) -> None:
        try:
            continuity.reset_password(_db.session, phone=phone, code=f"{(int(right) + 1 + i) % 10**6:06d}",
                                      password="attacker-pw-1", source="203.0.113.7")
        except Invalid as err:
            _db.session.commit()  # as the page does: a wrong code counts
            answers.append(err.code or "")

    _at_once(app, TOGETHER, guess)
    monkeypatch.undo()
    assert answers == ["code_wrong"] * TOGETHER
    _db.session.expire_all()
    assert _db.session.scalar(select(VerificationCode.wrong_tries).where(VerificationCode.phone == phone)) == 5
    with pytest.raises(Invalid) as spent:
        continuity.reset_password(_db.session, phone=phone, code=right, password="attacker-pw-1",
                                  source="203.0.113.7")
    assert spent.value.message == "验证码已失效，请重新获取。"


def test_codes_asked_at_once_are_limited_to_five_texts_an_hour_per_number(app, db, monkeypatch):
    """A burst of 12 "获取验证码" at one worker's number from 12 addresses sent 12 texts: an SMS bomb paid by the site,
    and 12 codes an hour to guess instead of 5."""
    phone = factories.user().phone
    _db.session.commit()
    _wait_for_the_others(monkeypatch, codes, "_throttle_sending", TOGETHER)
    refused: list[str] = []

    def ask(i: int) -> None:
        try:
            continuity.send_reset_code(_db.session, phone, source=f"198.51.100.{i}")
            _db.session.commit()
        except TooManyRequests as err:
            _db.session.rollback()
            refused.append(err.code or "")

    _at_once(app, TOGETHER, ask)
    monkeypatch.undo()
    sent = _db.session.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.phone == phone))
    assert sent == 5 and refused == ["code_throttled"] * (TOGETHER - 5)


def test_a_city_cannot_take_another_countys_township_code_through_an_enterprise(app, db, client, auth):
    """杭州市's staff added an "enterprise" under 杭州 with 宁波 鄞州区 (330212)'s township code 330212001: 鄞州区 could
    then neither add that township union nor import it."""
    auth.as_role("union_staff", "330100")
    squat = post_form(client, "/orgs/330100", {"action": "child", "child-kind": "enterprise",
                                               "child-code": "330212001", "child-name": "某某公司"})
    assert squat.status_code == 400 and "不属于" in squat.get_data(as_text=True)
    auth.logout()
    auth.as_role("union_staff", "330212")
    own = post_form(client, "/orgs/330212", {"action": "child", "child-kind": "union",
                                             "child-code": "330212001", "child-name": "钟公庙街道"})
    assert own.status_code == 302
    ningbo = factories.user("union_staff", "330212")
    report = organisations.import_townships(
        _db.session, ningbo, "code,name,level,parent_code\n330212002,石碶街道,township,330212\n")
    assert report.errors == [] and report.added == 1


def test_changing_the_password_on_a_shared_computer_does_not_make_the_login_persistent(app, db, client):
    with app.app_context():
        phone = factories.user().phone
        _db.session.commit()
    login = post_form(client, "/auth/login", {"phone": phone, "password": factories.PASSWORD})  # 记住我 unticked
    assert login.status_code == 302 and "remember_token=" not in " ".join(login.headers.getlist("Set-Cookie"))
    changed = post_form(client, "/me/password", {"current": factories.PASSWORD, "new": "another-horse-10"})
    assert changed.status_code == 302
    assert "remember_token=" not in " ".join(changed.headers.getlist("Set-Cookie"))
    assert client.get("/me").status_code == 200  # still signed in for this visit


def test_a_remembered_login_stays_remembered_after_a_password_change(app, db, client):
    with app.app_context():
        phone = factories.user().phone
        _db.session.commit()
    login = post_form(client, "/auth/login", {"phone": phone, "password": factories.PASSWORD, "remember": "y"})
    assert "remember_token=" in " ".join(login.headers.getlist("Set-Cookie"))
    changed = post_form(client, "/me/password", {"current": factories.PASSWORD, "new": "another-horse-10"})
    assert changed.status_code == 302
    assert "remember_token=" in " ".join(changed.headers.getlist("Set-Cookie"))  # a new one: the old is void


def test_the_lost_phone_form_answers_alike_for_registered_and_unknown_old_numbers(app, db, client):
    """Whoever holds one SIM proved it, then typed old numbers: "没有找到用原手机号注册的账号" for the unknown ones and
    another answer for registered ones told them apart. Every old number now gets "申请已提交"; only the old number's
    SMS says what happened."""
    with app.app_context():
        no_card = factories.user().phone  # registered, no ID number on file: nothing staff could check
        with_card = factories.user()
        profiles.update_profile(_db.session, with_card, with_card, {**GOOD, "union_code": "330106"})
        with_card_phone = with_card.phone
        _db.session.commit()
    mine = "13955550001"  # the prober's own SIM
    pages = {}
    for old in (no_card, "13955550999", with_card_phone):
        post_form(client, "/auth/phone-lost", {"old_phone": old, "new_phone": mine, "action": "send"})
        page = post_form(client, "/auth/phone-lost", {"old_phone": old, "new_phone": mine,
                                                      "code": last_code(app, mine), "action": "file"})
        pages[old] = (page.status_code, page.get_data(as_text=True))
    assert {status for status, _ in pages.values()} == {200}
    assert all("申请已提交" in text and "没有找到" not in text and "没有登记身份证" not in text
               for _, text in pages.values())
    assert texts(app, "13955550999") == []  # a number with no account is not texted
    assert "没有登记身份证号码" in texts(app, no_card)[-1]
    assert "工作人员核对身份证后才会更换" in texts(app, with_card_phone)[-1]
    with app.app_context():
        assert _db.session.scalars(select(PhoneChangeRequest.old_phone)).all() == [with_card_phone]


def test_an_institution_cannot_appoint_its_own_reviewer(db):
    """INST-T1's admin appointed 杭州's union reviewer (by phone number) as INST-T1 staff: the reviewer was then
    conflicted out of every INST-T1 course, declaration and claim, so the institution chose who reviews it. Only a
    site admin now appoints a union's or department's staff to an institution or enterprise."""
    from app.accounts.models import Role
    from app.accounts.policy import can
    from app.errors import Conflict
    from tests.app.appointing import appointed
    from tests.catalog.helpers import make

    reviewer = factories.user("union_staff", "330100")
    admin = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    resource = make(factories.INSTITUTION)
    inst = organisations.get_by_code(_db.session, factories.INSTITUTION)
    with pytest.raises(Conflict) as err:  # refused when the reviewer accepts (the appointment is made then)
        appointed(admin, inst, reviewer.phone, Role.institution_staff)
    assert err.value.code == "reviewer_appointment"
    _db.session.expire(reviewer)
    assert can(reviewer, "resource.review", resource)  # still reviews INST-T1's work
    worker = factories.user()  # a plain worker is appointed as before
    appointed(admin, inst, worker.phone, Role.institution_staff)
    site_admin = factories.user("admin")
    appointed(site_admin, inst, reviewer.phone, Role.institution_staff)
