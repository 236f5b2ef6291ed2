"""Attack through the statistics endpoint with real tokens: a city department read another city's (and the whole
province's) county figures. Now it reads its own city, by default and on request, and another city is refused with
400 outside_area; a province-level department still reads the province and any city."""

from __future__ import annotations

from app.accounts import organisations
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from programme.admissions import applications
from tests.programme.helpers import OPEN_DAY, YEAR, offering, open_year, worker
from tests.programme.sharing.conftest import bearer, token_for

API = "/api/exchange/v1/statistics"


def _department(code: str, parent: str):
    return organisations.create_organisation(_db.session, SYSTEM, parent_code=parent, code=code, name=f"部门{code}",
                                             kind=OrgKind.hr_dept)


def _six_hangzhou_applications(app) -> None:
    item = offering(open_year(), places=100)
    for n in range(6):
        applications.apply(_db.session, worker(f"杭{n}"), item, OPEN_DAY)
    _db.session.commit()
    app.config["ANALYTICS_MIN_LEARNERS"] = 5


def test_attack_city_token_reads_no_other_citys_statistics(app, db, client):
    _six_hangzhou_applications(app)
    ningbo = token_for(_department("HR-NB", "330200"), "statistics:read")
    refused = client.get(API, query_string={"year": YEAR, "city": "330100"}, headers=bearer(ningbo))
    assert refused.status_code == 400, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "outside_area" and "city" in error["fields"]
    own = client.get(API, query_string={"year": YEAR}, headers=bearer(ningbo)).get_json()
    assert own["region"]["code"] == "330200"  # its own city, not the province
    assert own["total"]["applications"] == 0
    assert all(row["region"]["code"] != "330100" for row in own["rows"])
    asked = client.get(API, query_string={"year": YEAR, "city": "330200"}, headers=bearer(ningbo)).get_json()
    assert asked["region"]["code"] == "330200"


def test_city_and_province_tokens_read_what_is_theirs(app, db, client):
    _six_hangzhou_applications(app)
    hangzhou = token_for(_department("HR-HZ", "330100"), "statistics:read")
    body = client.get(API, query_string={"year": YEAR}, headers=bearer(hangzhou)).get_json()
    assert body["region"]["code"] == "330100" and body["total"]["applications"] == 6
    province = token_for(_department("HR-ZJ2", "330000"), "statistics:read")
    whole = client.get(API, query_string={"year": YEAR}, headers=bearer(province)).get_json()
    assert whole["region"]["code"] == "330000" and whole["total"]["applications"] == 6
    city = client.get(API, query_string={"year": YEAR, "city": "330100"}, headers=bearer(province)).get_json()
    assert city["region"]["code"] == "330100" and city["total"]["applications"] == 6
