"""Pushed results: checked field by field, kept once however often sent, never overwritten; and the done-when of
issue 23 end to end: the HR department's token pushes a certificate that a waiting subsidy claim then rests on,
so the county approves it, and the review page says the record came through the API."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from app.timefmt import beijing_today
from programme.exchange.models import CertificateRecord, GraduationRecord
from programme.money import claim_checks, subsidies
from programme.money.models import ClaimStatus
from programme.sharing import pushes
from programme.sharing.models import ApiPush, ApiToken
from tests import factories
from tests.conftest import TEST_DATABASE_URL
from tests.programme.helpers import id_number, open_year, staff
from tests.programme.money.test_subsidies import enrolled
from tests.programme.sharing.conftest import bearer, token_for

URL = "/api/exchange/v1/certificates"


def _cert(**changes):
    return {"id_number": id_number(601), "name": "钱七", "occupation": "电工", "skill_level": 3,
            "certificate_no": "S-0601", "issued_on": "2025-05-20", **changes}


def test_the_same_certificate_twice_is_one_record_and_a_different_one_is_refused(db, client, hr):
    raw = token_for(hr)
    first = client.post(URL, json=_cert(), headers=bearer(raw))
    again = client.post(URL, json=_cert(), headers=bearer(raw))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"] and again.get_json()["created"] is False
    assert first.get_json()["certificate"] == _cert()
    changed = client.post(URL, json=_cert(name="钱八", skill_level=2), headers=bearer(raw))
    assert changed.status_code == 409
    error = changed.get_json()["error"]
    assert error["code"] == "conflicting_result" and set(error["fields"]) == {"name", "skill_level"}
    record = db.session.scalars(select(CertificateRecord)).one()
    assert (record.name, record.skill_level, record.batch.org_id) == ("钱七", 3, hr.id)
    assert db.session.scalars(select(ApiPush)).one().batch_id == record.batch_id


def test_every_wrong_field_is_named_at_once_and_nothing_is_kept(db, client, hr):
    body = _cert(id_number="330106199001010010", skill_level=7, issued_on="2999-01-01", occupation="", extra="x")
    del body["name"]
    response = client.post(URL, json=body, headers=bearer(token_for(hr)))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_result"
    assert set(error["fields"]) == {"id_number", "name", "skill_level", "issued_on", "occupation", "extra"}
    for kwargs in ({"data": "not json", "content_type": "application/json"}, {"json": [1, 2]}, {}):
        answer = client.post(URL, headers=bearer(token_for(hr)), **kwargs)
        assert answer.status_code == 400 and answer.get_json()["error"]["code"] == "invalid_result"
    assert db.session.query(CertificateRecord).count() == 0


def test_a_graduation_names_a_real_institution(db, client, edu):
    raw = token_for(edu)
    body = {"id_number": id_number(602), "name": "孙九", "institution_code": "NOPE", "level": "zhuanke",
            "major": "机电一体化", "diploma_no": "D-0602", "graduated_on": "2025-06-30"}
    response = client.post("/api/exchange/v1/graduations", json=body, headers=bearer(raw))
    assert response.status_code == 400 and set(response.get_json()["error"]["fields"]) == {"institution_code"}
    body["institution_code"] = factories.INSTITUTION
    response = client.post("/api/exchange/v1/graduations", json=body, headers=bearer(raw))
    assert response.status_code == 201 and response.get_json()["graduation"] == body
    assert db.session.scalars(select(GraduationRecord)).one().institution_id is not None


def test_a_diploma_number_another_institution_holds_first_does_not_block_the_awarding_ones(db, client, edu):
    """The attack: another institution's graduate pushed with this institution's diploma number first; the
    awarding institution's true record was then refused as a conflicting result (409). A diploma number is its
    institution's (as imports hold it): the true record is kept beside the squatter's."""
    raw = token_for(edu)
    body = {"id_number": id_number(603), "name": "周八", "institution_code": factories.OTHER_INSTITUTION,
            "level": "zhuanke", "major": "机电一体化", "diploma_no": "D-0603", "graduated_on": "2025-06-30"}
    assert client.post("/api/exchange/v1/graduations", json=body, headers=bearer(raw)).status_code == 201
    true = {**body, "id_number": id_number(604), "name": "吴十", "institution_code": factories.INSTITUTION}
    response = client.post("/api/exchange/v1/graduations", json=true, headers=bearer(raw))
    assert response.status_code == 201 and response.get_json()["graduation"] == true
    again = client.post("/api/exchange/v1/graduations", json=true, headers=bearer(raw))  # the same result again
    assert again.status_code == 200 and not again.get_json()["created"]
    assert len(db.session.scalars(select(GraduationRecord)).all()) == 2


def test_the_hr_departments_pushed_certificate_is_what_a_subsidy_claim_rests_on(db, client, auth, hr):
    me, record = enrolled(open_year())
    today = beijing_today().isoformat()
    claim = subsidies.claim(db.session, me, record, "senior_worker", "S-3301-0001", "人社厅",
                            attained_on=beijing_today())
    db.session.commit()
    assert claim_checks.review(db.session, claim).record is None  # nothing to rest on yet
    body = {"id_number": me.profile.id_number, "name": me.profile.real_name, "occupation": "机电一体化",
            "skill_level": 3, "certificate_no": "S-3301-0001", "issued_on": today}
    response = client.post(URL, json=body, headers=bearer(token_for(hr)))
    assert response.status_code == 201 and response.get_json()["matched_worker"] is True
    db.session.expire_all()
    review = claim_checks.review(db.session, claim)
    assert review.record is not None and review.record.user_id == me.id
    assert all(row.ok for row in review.rows) and review.problems == []
    auth.as_role("union_staff", "330106")
    page = client.get(f"/programme/claims/{claim.id}/review").get_data(as_text=True)
    assert "经数据对接接口报送" in page and hr.name in page
    subsidies.decide(db.session, staff(code="330106"), claim, True)
    assert claim.status == ClaimStatus.approved and claim.certificate_id == review.record.id


def test_two_copies_of_one_certificate_racing_make_one_record(app, db, hr):
    """Both copies passed the "already held?" check before either wrote: the number's UNIQUE constraint lets one
    in, and the other answers with that record instead of an error."""
    if not TEST_DATABASE_URL:
        pytest.skip("SQLite lets one writer at a time hold the database: the race needs PostgreSQL")
    token_for(hr)
    values = pushes.checked(db.session, pushes.CERTIFICATE, _cert(certificate_no="S-RACE-1"))
    db.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def send() -> None:
        with app.app_context():
            token = db.session.scalars(select(ApiToken)).one()
            barrier.wait()
            done = pushes.keep(db.session, token, pushes.CERTIFICATE, dict(values))
            db.session.commit()
            outcomes.append((done.created, done.record.id))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created for created, _id in outcomes) == [False, True] and len({i for _c, i in outcomes}) == 1
    assert db.session.query(CertificateRecord).count() == 1
