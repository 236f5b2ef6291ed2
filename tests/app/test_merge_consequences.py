"""What a merge leaves behind must still hold once the two accounts are one: a correction made under the old
account bars the new one from approving it (the audit log keeps the old actor), a course both accounts completed
counts once, and a course both enrolled in counts one learner in the catalog."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts import merge, profiles
from app.db import utcnow
from app.errors import Forbidden
from app.extensions import db as _db
from catalog.models import Resource
from credits import ledger, pathways
from credits.models import Certificate
from learning import enrolment
from programme.money import claim_checks, subsidies
from programme.money.models import ClaimStatus
from tests import factories
from tests.app.identities import identity_settled
from tests.app.test_merge import _person
from tests.app.test_profile import GOOD, VALID_ID
from tests.conftest import post_form
from tests.credits.credit_factories import complete, pathway, resource
from tests.programme.helpers import graduation, open_year
from tests.programme.money.test_subsidies import enrolled

ADMIN_ID = "110105198001010016"


def test_a_correction_made_under_a_merged_away_account_still_bars_its_approval(db):
    me, record = enrolled(open_year())
    graduation(me, "ZJ-MRG-1")
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-MRG-9", "")
    old = factories.user(role="admin", name="王管理(旧号)")
    profiles.update_profile(db.session, old, old, {**GOOD, "id_number": ADMIN_ID})
    identity_settled(db.session, old)
    subsidies.amend(db.session, old, claim, "ZJ-MRG-1", None)  # the old account corrects the claim
    with pytest.raises(Forbidden):
        subsidies.decide(db.session, old, claim, True)
    middle, new = factories.user(role="admin", name="王管理(二号)"), factories.user(role="admin", name="王管理")
    merge.merge(db.session, factories.user(role="admin"), old, middle, id_number=ADMIN_ID)
    identity_settled(db.session, middle)  # it took over the old profile; a later merge follows it
    merge.merge(db.session, factories.user(role="admin"), middle, new, id_number=ADMIN_ID)
    db.session.commit()
    claim, new = db.session.merge(claim), db.session.merge(new)
    with pytest.raises(Forbidden):  # the same person, two merges on: still their own correction
        subsidies.decide(db.session, new, claim, True)
    assert new.id in claim_checks.claimants(claim)
    assert claim.status == ClaimStatus.claimed


def test_a_merge_leaves_no_course_counted_twice_and_the_certificate_valid(app, client, auth):
    with app.app_context():
        source, target = _person(VALID_ID, "张三明(旧号)"), _person(None)
        course = resource(4, "安全用电")
        track = pathway(8, ((course, False),))
        for user in (source, target):
            enrolment.enrol(_db.session, user, course.id)
            enrolment.enrolment_of(_db.session, user.id, course.id).completed_at = utcnow()
            complete(user, course)
        _db.session.commit()
        phones, target_id, course_id, track_id = (source.phone, target.phone), target.id, course.id, track.id
    auth.as_role("admin")
    done = post_form(client, "/me/merges", {"source": phones[0], "target": phones[1], "id_number": VALID_ID})
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已在合并时撤销" in page and "请在学分页面撤销" not in page
    with app.app_context():
        records = ledger.ledger(_db.session, target_id)
        assert ledger.balance(records) == 4
        assert [r.reason for r in records if r.revokes_id is not None] == ["账号合并，重复记录"]
        [found] = pathways.progress(_db.session, target_id, [_db.session.get(type(track), track_id)])
        assert found.counted == 4 and not found.complete
        certificate = _db.session.scalar(select(Certificate).where(Certificate.user_id == target_id,
                                                                   Certificate.resource_id == course_id))
        assert certificate is not None and certificate.revoked_at is None
        assert certificate.record_id not in {r.revokes_id for r in records}


def test_a_merged_persons_two_enrolments_count_one_learner(app, db):
    course = resource(2, "电焊入门")
    source, target = _person(VALID_ID, "张三明(旧号)"), _person(None)
    for user in (source, target):
        enrolment.enrol(db.session, user, course.id)
    db.session.commit()
    assert db.session.get(Resource, course.id).enrolment_count == 2
    merge.merge(db.session, factories.user("admin"), source, target, id_number=VALID_ID)
    db.session.commit()
    assert db.session.get(Resource, course.id).enrolment_count == 1
