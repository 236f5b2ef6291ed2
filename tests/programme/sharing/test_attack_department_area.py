"""Attacks through the departments' API with real tokens: a city department reads and writes only its own city
(the union subtree it sits under); a province-level department, everything."""

from __future__ import annotations

from app.accounts import organisations
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from programme.admissions import applications
from programme.exchange.models import CertificateRecord, GraduationRecord
from tests.programme.helpers import OPEN_DAY, id_number, offering, open_year, worker
from tests.programme.sharing.conftest import bearer, token_for

API = "/api/exchange/v1"


def _department(code: str, kind: OrgKind, parent: str = "330200"):
    return organisations.create_organisation(_db.session, SYSTEM, parent_code=parent, code=code,
                                             name=f"部门{code}", kind=kind)


def _one_hangzhou_application():
    person = worker("周一")
    applications.apply(_db.session, person, offering(open_year()), OPEN_DAY)
    return person


def test_attack_city_token_pulls_no_other_citys_applications(app, db, client):
    person = _one_hangzhou_application()
    ningbo = token_for(_department("HR-NB", OrgKind.hr_dept), "applications:read", "admissions:read")
    province = token_for(_department("HR-ZJ2", OrgKind.hr_dept, "330000"), "applications:read")
    for query in ({"city": "330100"}, {}):
        body = client.get(f"{API}/applications", query_string=query, headers=bearer(ningbo)).get_json()
        assert body["total"] == 0 and body["items"] == []
    assert client.get(f"{API}/admissions", headers=bearer(ningbo)).get_json()["total"] == 0
    body = client.get(f"{API}/applications", headers=bearer(province)).get_json()
    assert body["total"] == 1 and body["items"][0]["person"]["id_number"] == person.profile.id_number


def test_city_token_pulls_its_own_citys_applications(app, db, client):
    _one_hangzhou_application()
    hangzhou = token_for(_department("HR-HZ", OrgKind.hr_dept, "330100"), "applications:read")
    assert client.get(f"{API}/applications", headers=bearer(hangzhou)).get_json()["total"] == 1


def _graduation(code: str, number: str) -> dict[str, str]:
    return {"id_number": id_number(555), "name": "周一", "institution_code": code, "level": "zhuanke",
            "major": "机电一体化", "diploma_no": number, "graduated_on": "2026-06-30"}


def test_attack_city_education_token_cannot_push_another_citys_diploma(app, db, client):
    raw = token_for(_department("EDU-NB", OrgKind.education_dept), "graduations:write")
    response = client.post(f"{API}/graduations", headers=bearer(raw), json=_graduation("INST-T1", "NB-FOR-HZ-1"))
    assert response.status_code == 400, response.get_json()
    assert "institution_code" in response.get_json()["error"]["fields"]
    assert db.session.query(GraduationRecord).count() == 0
    own = client.post(f"{API}/graduations", headers=bearer(raw), json=_graduation("INST-T2", "NB-OWN-1"))
    assert own.status_code == 201, own.get_json()  # INST-T2 is a 宁波 institution


def test_attack_city_hr_token_cannot_push_another_citys_workers_certificate(app, db, client):
    hangzhou = worker("吴十")
    raw = token_for(_department("HR-NB", OrgKind.hr_dept), "certificates:write")
    body = {"id_number": hangzhou.profile.id_number, "name": "吴十", "occupation": "电工", "skill_level": 3,
            "certificate_no": "S-NB-HZ-1", "issued_on": "2026-05-20"}
    response = client.post(f"{API}/certificates", headers=bearer(raw), json=body)
    assert response.status_code == 400, response.get_json()
    assert "id_number" in response.get_json()["error"]["fields"]
    assert db.session.query(CertificateRecord).count() == 0
