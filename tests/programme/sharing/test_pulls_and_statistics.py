"""What the departments pull: applications and admissions a page at a time, filtered by year, city and
updated_since; statistics as aggregates only, never a group below ANALYTICS_MIN_LEARNERS, nor one the total would
give away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.extensions import db
from programme.admissions import applications
from programme.sharing.statistics import suppressed
from tests.programme.helpers import OPEN_DAY, YEAR, offering, open_year, staff, worker
from tests.programme.sharing.conftest import bearer, token_for


def _two_applications():
    plan = open_year()
    item = offering(plan)
    admitted = applications.apply(db.session, worker("周一"), item, OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), admitted, True)
    applications.admit(db.session, staff("institution_staff"), admitted, True)
    waiting = applications.apply(db.session, worker("吴二"), item, OPEN_DAY)
    return admitted, waiting


def test_applications_and_admissions_are_paged_and_filtered(db, client, hr):
    admitted, waiting = _two_applications()
    db.session.commit()
    raw = token_for(hr)

    def get(path, **query):
        response = client.get(path, query_string=query, headers=bearer(raw))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    everything = get("/api/exchange/v1/applications", year=YEAR, per_page=1)
    assert (everything["total"], everything["pages"], [i["id"] for i in everything["items"]]) == (2, 2, [admitted.id])
    assert [i["id"] for i in get("/api/exchange/v1/applications", per_page=1, page=2)["items"]] == [waiting.id]
    first = everything["items"][0]
    assert first["person"] == {"name": "周一", "id_number": admitted.user.profile.id_number}
    assert (first["status"], first["county"]["code"], first["city"]["code"]) == ("admitted", "330106", "330100")
    assert [i["id"] for i in get("/api/exchange/v1/admissions")["items"]] == [admitted.id]
    assert get("/api/exchange/v1/applications", year=YEAR + 1)["total"] == 0
    assert get("/api/exchange/v1/applications", city="330100")["total"] == 2
    assert get("/api/exchange/v1/applications", city="330200")["total"] == 0
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert get("/api/exchange/v1/applications", updated_since=later)["total"] == 0
    assert get("/api/exchange/v1/applications", updated_since="2020-01-01T00:00:00+08:00")["total"] == 2


def test_bad_filters_are_400_naming_the_parameter(db, client, hr):
    raw = token_for(hr)
    for query, field in (({"city": "330106"}, "city"), ({"updated_since": "yesterday"}, "updated_since"),
                         ({"per_page": "500"}, "per_page"), ({"year": "abc"}, "year")):
        response = client.get("/api/exchange/v1/applications", query_string=query, headers=bearer(raw))
        assert response.status_code == 400, query
        assert response.get_json()["error"]["code"] == "bad_query" and field in response.get_json()["error"]["fields"]


def test_statistics_withhold_small_groups(app, db, client, edu):
    _two_applications()
    db.session.commit()
    raw = token_for(edu, "statistics:read")
    app.config["ANALYTICS_MIN_LEARNERS"] = 5
    body = client.get("/api/exchange/v1/statistics", query_string={"year": YEAR}, headers=bearer(raw)).get_json()
    rows = {row["region"]["code"]: row["figures"] for row in body["rows"]}
    assert body["min_group"] == 5 and rows["330100"]["applications"] is None and body["total"]["applications"] is None
    assert rows["330200"]["applications"] == 0  # zero names nobody
    app.config["ANALYTICS_MIN_LEARNERS"] = 1
    body = client.get("/api/exchange/v1/statistics", query_string={"year": YEAR, "city": "330100"},
                      headers=bearer(raw)).get_json()
    rows = {row["region"]["code"]: row["figures"] for row in body["rows"]}
    assert body["region"]["code"] == "330100" and rows["330106"]["applications"] == 2
    assert rows["330106"]["admitted"] == 1 and body["total"]["applications"] == 2
    assert client.get("/api/exchange/v1/applications", headers=bearer(raw)).status_code == 403


def test_one_hidden_figure_takes_the_next_smallest_with_it():
    assert suppressed([7, 3, 0, 9], 5) == [None, None, 0, 9]  # else 19 - 7 - 9 would give the 3 away
    assert suppressed([7, 3, 2, 9], 5) == [7, None, None, 9]
    assert suppressed([6, 8], 5) == [6, 8] and suppressed([0, 4], 5) == [0, None]
    # two of one each: the total less the shown 10 gave 2, so each was 1; the 10 is withheld with them
    assert suppressed([10, 1, 1], 5) == [None, None, None]


def test_a_withheld_city_does_not_come_back_by_difference(app, db, client, edu):
    """A review's attack: Hangzhou 10 applicants, Ningbo 2 (floor 5): the province's answer withheld both cities but
    gave the total, 12; asking for Hangzhou gave its own total, 10, so Ningbo's 2 came out. A city's answer now
    withholds what the province's withheld for it."""
    plan = open_year()
    item = offering(plan, places=100)
    for n in range(10):
        applications.apply(db.session, worker(f"杭{n}"), item, OPEN_DAY)
    for n in range(2):
        applications.apply(db.session, worker(f"甬{n}", union_code="330203"), item, OPEN_DAY)
    db.session.commit()
    app.config["ANALYTICS_MIN_LEARNERS"] = 5
    raw = token_for(edu, "statistics:read")
    whole = client.get("/api/exchange/v1/statistics", query_string={"year": YEAR}, headers=bearer(raw)).get_json()
    rows = {r["region"]["code"]: r["figures"]["applications"] for r in whole["rows"]}
    assert rows["330200"] is None and rows["330100"] is None and whole["total"]["applications"] == 12
    city = client.get("/api/exchange/v1/statistics", query_string={"year": YEAR, "city": "330100"},
                      headers=bearer(raw)).get_json()
    assert city["total"]["applications"] is None
    assert all(r["figures"]["applications"] is None for r in city["rows"])
