"""Merging two accounts of one person (issue 18, item 4): every row moves, collisions keep the more advanced row
and the other is kept in the merge record, the source is disabled and points at the target. Attacks: a merge
of two different people (different ID cards), a merge by someone who is not a site admin, a merge by an admin
of one of their own accounts. The account emptied (the source, usually the old number) is the one that must have the
ID number on file; tests/app/test_merge_identity.py has the attacks on that."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import audit
from app.accounts import merge, organisations, profiles, service, sessions
from app.accounts.models import Membership, Role, User, WorkerProfile
from app.db import utcnow
from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from credits.models import CreditRecord
from learning import enrolment
from learning.models import Enrolment
from tests import factories
from tests.app.identities import identity_settled
from tests.app.test_profile import GOOD, VALID_ID
from tests.conftest import post_form
from tests.credits.credit_factories import complete, resource


def _valid_other() -> str:
    return "110105198001010016"  # another person's number, checksum valid


def _person(id_number: str | None, name: str = "张三明") -> User:
    user = factories.user(name=name)
    if id_number:
        profiles.update_profile(_db.session, user, user, {**GOOD, "id_number": id_number})
        identity_settled(_db.session, user)  # filled in long ago: no hold on a merge by ID card
    return user


def _total(user_id: int) -> float:
    return _db.session.scalar(select(func.coalesce(func.sum(CreditRecord.amount), 0))
                              .where(CreditRecord.user_id == user_id)) or 0


def test_every_row_moves_and_a_collision_keeps_the_more_advanced(app, db):
    source, target = _person(VALID_ID, "张三明(旧号)"), _person(None)
    shared, only_source = resource(4, "安全用电"), resource(2, "电工仪表")
    for user in (source, target):
        enrolment.enrol(db.session, user, shared.id)
    enrolment.enrol(db.session, source, only_source.id)
    done = enrolment.enrolment_of(db.session, source.id, shared.id)
    done.completed_at = utcnow()  # the old account finished the course; the new one had only started it
    complete(source, shared)
    factories.user("union_staff")  # someone else's rows stay theirs
    sessions.start(db.session, source)
    credits_before = _total(source.id) + _total(target.id)
    admin = factories.user("admin")

    record = merge.merge(db.session, admin, source, target, id_number=VALID_ID)
    db.session.commit()

    source, target = db.session.get(User, source.id), db.session.get(User, target.id)
    assert not source.is_active_account and source.merged_into_id == target.id
    assert sessions.count(db.session, source) == 0
    assert _total(target.id) == credits_before == 4 and _total(source.id) == 0
    rows = {e.resource_id: e for e in db.session.scalars(select(Enrolment).where(Enrolment.user_id == target.id))}
    assert set(rows) == {shared.id, only_source.id} and rows[shared.id].completed_at is not None
    assert db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.user_id == source.id)) == 0
    detail = merge.detail(record)
    [replaced] = [r for r in detail["replaced"] if r["table"] == "enrolments"]
    assert replaced["kept"] == "source" and replaced["row"]["user_id"] == target.id  # the started one, kept here
    assert detail["moved"]["enrolments.user_id"] == 2 and detail["moved"]["credit_records.user_id"] == 1
    assert db.session.get(WorkerProfile, target.id).id_number == VALID_ID
    [entry] = audit.entries(db.session, audit.Filter(action="user.merge"))
    assert entry.actor_id == admin.id and audit.detail_of(entry)["source"] == source.id


def test_every_table_pointing_at_users_is_covered():
    """A table added later with a user column is moved too: the list comes from the schema."""
    covered = {(t.name, c) for t, c in merge._user_columns()}
    everything = {(t.name, fk.parent.name) for t in _db.metadata.sorted_tables for fk in t.foreign_keys
                  if fk.column.table.name == "users"}
    assert everything - covered == merge.LEFT
    assert {("enrolments", "user_id"), ("credit_certificates", "user_id"), ("programme_applications", "user_id"),
            ("credit_recognitions", "user_id"), ("memberships", "user_id"), ("enquiries", "asker_id")} <= covered


def test_two_people_with_different_id_cards_are_never_merged(app, db):
    first, second = _person(VALID_ID), _person(_valid_other(), "李四")
    admin = factories.user("admin")
    for typed in (VALID_ID, _valid_other(), ""):
        with pytest.raises(Invalid):
            merge.merge(db.session, admin, second, first, id_number=typed)
    nobody = _person(None)
    with pytest.raises(Invalid):  # no card on file at all: nothing ties the two together
        merge.merge(db.session, admin, nobody, _person(None), id_number=VALID_ID)
    assert second.is_active_account and nobody.is_active_account


@pytest.mark.parametrize("role", ["worker", "union_staff", "institution_staff"])
def test_only_site_admins_merge(app, db, role):
    source, target = _person(VALID_ID), _person(None)
    with pytest.raises(Forbidden):
        merge.merge(db.session, factories.user(role), source, target, id_number=VALID_ID)
    with pytest.raises(Forbidden):  # not even the person, merging their own accounts
        merge.merge(db.session, target, source, target, id_number=VALID_ID)
    assert source.is_active_account


def test_an_admin_cannot_merge_their_own_account(app, db):
    admin = factories.user("admin")
    profiles.update_profile(db.session, admin, admin, {**GOOD, "id_number": VALID_ID})
    other = _person(None)
    with pytest.raises(Forbidden):
        merge.merge(db.session, admin, other, admin, id_number=VALID_ID)


def test_memberships_that_collide_are_kept_once(app, db):
    source, target = _person(VALID_ID), _person(None)
    for user in (source, target):
        service.grant_role(db.session, user, Role.union_staff, organisations.get_by_code(db.session, "330100"))
    merge.merge(db.session, factories.user("admin"), source, target, id_number=VALID_ID)
    assert db.session.scalar(select(func.count()).select_from(Membership)
                             .where(Membership.user_id == target.id)) == 1


def test_the_merge_pages(app, client, auth):
    with app.app_context():
        source, target = _person(VALID_ID), _person(None)
        phones = (source.phone, target.phone)
        _db.session.commit()
    auth.as_role("worker")
    assert client.get("/me/merges").status_code == 403
    auth.logout()
    auth.as_role("admin")
    refused = post_form(client, "/me/merges", {"source": phones[0], "target": phones[1],
                                               "id_number": _valid_other()})
    assert refused.status_code == 400 and "不一致" in refused.get_data(as_text=True)
    done = post_form(client, "/me/merges", {"source": phones[0], "target": phones[1], "id_number": VALID_ID})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "合并记录" in page and phones[0] not in page  # numbers masked
