"""An account merge is, with the lost-phone path, the way an account changes hands by ID card, and it had looked at
neither the 30-day hold after an identity change (profiles.IDENTITY_HOLD) nor whether the account emptied had an ID
number on file at all. At a session the victim left open the attacker filled in their own name and ID number (a
first fill asks no password), which held the lost-phone path but not the merge: a site admin shown the attacker's
card merged the victim's account into the attacker's own at once, moving its credits, certificates and applications
and disabling it. Without even that session, an account with no ID number on file could be named as "my old
account" by anyone with a card matching their own. And the identity the target took over with the source's profile
was neither audited nor told, so the target was not held either; and staff invitations waiting on the source's number
stayed open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import audit
from app.accounts import continuity, invitations, merge, organisations, profiles
from app.accounts.models import AccountMerge, Role, User
from app.db import utcnow
from app.errors import Conflict, Invalid
from app.extensions import db as _db
from app.notifications import kinds
from app.notifications.models import Notification
from tests import factories
from tests.app.identities import identity_settled
from tests.app.sms_codes import texts
from tests.app.test_identity_takeover import ATTACKER_ID, _login
from tests.app.test_profile import GOOD, VALID_ID
from tests.conftest import post_form

LATER = timedelta(minutes=1) + profiles.IDENTITY_HOLD


def _worker(name: str, id_number: str | None = None, settled: bool = True) -> User:
    user = factories.user(name=name)
    if id_number:
        profiles.update_profile(_db.session, user, user, {**GOOD, "real_name": name, "id_number": id_number})
        if settled:
            identity_settled(_db.session, user)
    return user


def test_attack_a_merge_by_the_attackers_card_is_held_like_the_lost_phone_path(app):
    with app.app_context():
        victim = _worker("王小工")  # registered, no profile yet (registration asks none)
        attackers_own = _worker("李攻击")
        admin = factories.user("admin")
        _db.session.commit()
        victim_id, victim_phone = victim.id, victim.phone
        attacker_phone, admin_phone = attackers_own.phone, admin.phone

    shared = app.test_client()  # the victim stayed signed in on a shared computer
    _login(shared, victim_phone)
    filled = post_form(shared, "/me/profile", {**GOOD, "real_name": "李攻击", "id_number": ATTACKER_ID,
                                               "union_code": "330106"})
    assert filled.status_code == 302  # a first fill: no password asked, but the account is now held
    with app.app_context():
        assert continuity.identity_hold(_db.session, _db.session.get(User, victim_id)) is not None

    desk = app.test_client()
    _login(desk, admin_phone)
    refused = post_form(desk, "/me/merges", {"source": victim_phone, "target": attacker_phone,
                                             "id_number": ATTACKER_ID})
    assert refused.status_code == 400 and "30天内不能凭身份证合并" in refused.get_data(as_text=True)
    with app.app_context():
        assert _db.session.scalar(select(AccountMerge)) is None
        assert _db.session.get(User, victim_id).is_active_account, (
            "the victim's account was merged into the attacker's by the attacker's ID card within the hold")


def test_attack_an_account_with_no_id_number_on_file_is_never_emptied_on_a_strangers_card(app, db):
    """Nothing ties an account with no ID number on file to the card shown: the attacker names the victim's number
    as their own old account and shows their own card, which matches the attacker's account, the target."""
    victim = _worker("王小工")
    attackers_own = _worker("李攻击", ATTACKER_ID)
    admin = factories.user("admin")
    with pytest.raises(Invalid) as refused:
        merge.merge(db.session, admin, victim, attackers_own, id_number=ATTACKER_ID)
    assert refused.value.code == "id_missing" and "source" in refused.value.fields
    assert db.session.get(User, victim.id).is_active_account


@pytest.mark.parametrize("side", ["source", "target"])
def test_either_account_changed_lately_is_held_and_merges_once_the_hold_is_over(app, db, side):
    source = _worker("张三明", VALID_ID, settled=side != "source")
    target = _worker("张三明")
    if side == "target":  # the new account's owner typed a name only today
        profiles.update_profile(db.session, target, target, {**GOOD, "id_number": ""})
    admin = factories.user("admin")
    with pytest.raises(Conflict) as held:
        merge.merge(db.session, admin, source, target, id_number=VALID_ID)
    assert held.value.code == "identity_recent" and set(held.value.fields) == {side}
    assert "30天内不能凭身份证合并" in held.value.message
    assert source.is_active_account
    merge.merge(db.session, admin, source, target, id_number=VALID_ID, now=utcnow() + LATER)
    assert db.session.get(User, source.id).merged_into_id == target.id


def test_the_identity_the_target_takes_over_is_audited_told_and_held(app, db):
    """The old account's profile (name and ID number) lands on the new one: as a change at /me/profile, the owner
    hears of it in the site and by text, and the new account cannot move to another number by ID card for a while."""
    source, target = _worker("张三明", VALID_ID), _worker("张三明")
    admin = factories.user("admin")
    last = db.session.scalar(select(func.max(Notification.id))) or 0  # the source's own move with it
    record = merge.merge(db.session, admin, source, target, id_number=VALID_ID)
    db.session.commit()
    [entry] = audit.entries(db.session, audit.Filter(action=profiles.IDENTITY_CHANGE, target_id=str(target.id)))
    assert entry.actor_id == admin.id and VALID_ID not in (entry.detail or "")
    assert audit.detail_of(entry) == {"fields": ["real_name", "id_number"], "first": True, "merge": record.id}
    told = db.session.scalars(select(Notification.kind).where(Notification.user_id == target.id,
                                                              Notification.id > last)).all()
    assert told == [kinds.ACCOUNT]
    assert "姓名或身份证号码刚刚被更改" in texts(app, target.phone)[-1]
    assert continuity.identity_hold(db.session, db.session.get(User, target.id)) is not None


def test_a_merge_that_leaves_the_targets_identity_as_it_was_tells_nothing(app, db):
    """Two forms of one number (what migration 0032 leaves, tests/app/test_id_number_forms.py): the target's own
    profile stays when it is the more recent, and nothing is said of an identity that did not change."""
    target = _worker("张三明", VALID_ID)
    source = _worker("张三明", "110105198001010016")
    source.profile.id_number = VALID_ID.lower()  # as kept before the fix
    db.session.flush()
    target.profile.employer = "新单位"  # the target's profile is the newer one
    db.session.flush()
    changes = audit.Filter(action=profiles.IDENTITY_CHANGE, target_id=str(target.id))
    before = len(audit.entries(db.session, changes))
    merge.merge(db.session, factories.user("admin"), source, target, id_number=VALID_ID)
    assert db.session.get(User, target.id).profile.employer == "新单位"
    assert len(audit.entries(db.session, changes)) == before


def test_invitations_waiting_on_the_source_s_number_lapse_with_the_merge(app, db):
    """The account leaves its number as when it moves to a new one (invitations.lapse_for_number): whoever holds
    that number next finds nothing meant for the owner; the inviting side still sees it waiting until it expires."""
    head = factories.user("institution_staff", factories.INSTITUTION, org_admin=True)
    institution = organisations.get_by_code(db.session, factories.INSTITUTION)
    source, target = _worker("张三明", VALID_ID), _worker("张三明")
    waiting = invitations.invite_staff(db.session, head, org=institution, phone=source.phone,
                                       role=Role.institution_staff)
    merge.merge(db.session, factories.user("admin"), source, target, id_number=VALID_ID)
    assert (waiting.status, waiting.lapse_reason) == ("lapsed", "merged")
    assert invitations.pending_at(db.session, institution) == [waiting]
