"""The staff desk (issue 22, part 1): for each role, the desk's counts are the lengths of the lists the queue pages
show (the same functions), a person never sees or counts another organisation's items (page and API), workers
have no desk, and the navigation carries the count."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app import desk
from app.accounts import organisations, service
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM, orgs_for
from app.extensions import db
from catalog import service as catalog_service
from credits import recognition
from media import bulk as media_bulk
from media.models import AssetStatus, MediaAsset
from programme.admissions import applications, declarations, plans
from programme.admissions.declarations import OfferingInput
from programme.admissions.models import AppStatus
from programme.money import subsidies
from programme.money.models import ClaimStatus
from programme.voice import enquiries, objections
from tests import factories
from tests.catalog.helpers import make
from tests.credits.credit_factories import pdf_bytes, request_values
from tests.credits.credit_factories import worker as credit_worker
from tests.programme.helpers import OPEN_DAY, offering, open_year, org, staff, worker
from tests.programme.money.test_subsidies import enrolled

OTHER = factories.OTHER_INSTITUTION


@pytest.fixture
def desk_db(app, db):
    """The database inside a request: each item carries the URL of the page that handles it."""
    with app.test_request_context():
        yield db


def _failed_asset(code: str, title: str) -> MediaAsset:
    asset = MediaAsset(org_id=org(code).id, title=title, status=AssetStatus.failed, error_code="media_broken",
                       error="无法读取", source_key=f"sources/{title}")
    db.session.add(asset)
    db.session.flush()
    return asset


def _institution_work(app: Flask, code: str, tag: str) -> None:
    """One item of each kind waiting for institution `code`: a recognition, a returned resource, a failed upload
    and (for INST-T1, whose offering the plan holds) a verified application."""
    recognition.submit(db.session, credit_worker(f"申请人{tag}"), request_values(issuer=code, title=f"证书{tag}"),
                       pdf_bytes(), app.config["DATA_DIR"])
    resource = make(code, title=f"退回的课{tag}")
    catalog_service.submit(db.session, SYSTEM, resource)
    catalog_service.review(db.session, SYSTEM, resource, "return", "请补充简介")
    _failed_asset(code, f"坏视频{tag}.mp4")


def _counts(user) -> dict[str, int]:
    return {q.queue.key: q.waiting.count for d in desk.desk_for(db.session, user) for q in d.queues}


def _keys_by_role(user) -> dict[str, list[str]]:
    return {d.role.value: [q.queue.key for q in d.queues] for d in desk.desk_for(db.session, user)}


def test_institution_desk_counts_its_queues_and_never_another_institutions(app, desk_db):
    plan = open_year()
    item = offering(plan)
    application = applications.apply(db.session, worker(), item, OPEN_DAY)
    applications.verify(db.session, staff(code="330106"), application, True)
    _institution_work(app, factories.INSTITUTION, "甲")
    _institution_work(app, OTHER, "乙")
    mine, theirs = staff("institution_staff"), staff("institution_staff", OTHER)

    counts = _counts(mine)
    assert counts["credits.recognition"] == len(recognition.queue(db.session, mine)) == 1
    assert counts["catalog.returned"] == 1 and counts["media.failed"] == len(media_bulk.failed_assets(
        db.session, mine)) == 1
    assert counts["programme.admit"] == len(applications.to_admit(db.session, orgs_for(mine, Role.institution_staff)))
    assert counts["programme.admit"] == 1
    assert "catalog.review" not in counts and "programme.verify" not in counts  # a union's work, not theirs
    [own] = desk.desk_for(db.session, mine)
    assert own.role == Role.institution_staff and own.total == 4 and [o.code for o in own.orgs] == ["INST-T1"]
    titles = " ".join(i.title for i in own.items)
    assert "甲" in titles and "乙" not in titles

    other = _counts(theirs)
    assert other == {"catalog.returned": 1, "media.failed": 1, "credits.recognition": 1, "programme.admit": 0,
                     "learning.questions": 0}
    assert "甲" not in " ".join(i.title for d in desk.desk_for(db.session, theirs) for i in d.items)


def test_union_desks_count_the_county_and_city_queues_in_their_own_area_only(app, desk_db):
    plan = open_year()
    item = offering(plan)
    applied = applications.apply(db.session, worker("甲工人"), item, OPEN_DAY)  # waits for 西湖区 to verify
    me, record = enrolled(plan, "乙工人")
    claim = subsidies.claim(db.session, me, record, "dazhuan", "ZJ-0001", "")
    enquiries.ask(db.session, worker("丙工人"), subject="报读条件", question="农民工可以报读吗？")
    make(factories.INSTITUTION, title="待审的课")
    catalog_service.submit(db.session, SYSTEM, catalog_service.resources_of(db.session, [org("INST-T1")])[0])
    declared = declarations.declare(db.session, staff("institution_staff"), plan, org("INST-T1"), OfferingInput(
        kind="academic", level="zhuanshengben", major="行政管理", mode="网络", years=3, tuition_yuan=7000,
        discount_yuan=1000, places=20))
    db.session.flush()

    county, city, ningbo = staff(code="330106"), staff(code="330100"), staff(code="330200")
    counts = _counts(county)
    unions = plans.staff_unions(db.session, county)
    assert counts["programme.verify"] == len(applications.for_unions(db.session, unions, AppStatus.applied)) == 1
    assert counts["programme.claims"] == len(subsidies.for_unions(db.session, unions, ClaimStatus.claimed)) == 1
    assert counts["programme.enquiries"] == enquiries.inbox(db.session, county)[1] == 1
    assert counts["programme.objections"] == len(objections.for_staff(db.session, county)) == 0
    assert counts["programme.declarations"] == 0  # a county does not select institutions
    assert counts["catalog.review"] == len(catalog_service.review_queue(db.session, county)) == 0  # Hangzhou's own
    assert {"programme.admit", "catalog.returned"} & set(counts) == {"catalog.returned"}
    applied_item = next(i for d in desk.desk_for(db.session, county) for i in d.items if i.key == "programme.verify")
    assert applied_item.deadline == plan.closes_on and "甲工人" in applied_item.title

    city_counts = _counts(city)  # Hangzhou oversees 西湖区, and reviews its institutions' resources and offerings
    assert city_counts["programme.verify"] == 1 and city_counts["catalog.review"] == 1
    assert city_counts["programme.declarations"] == len(declarations.to_review(db.session, city, plan)) == 1
    assert declared in declarations.to_review(db.session, city, plan)
    assert set(_counts(ningbo).values()) == {0}  # Ningbo sees nothing of Hangzhou's
    assert claim.id and applied.id


def test_a_reviewer_desk_holds_declarations_and_a_person_with_two_roles_sees_each_queue_once(app, desk_db):
    plan = open_year()
    declarations.declare(db.session, staff("institution_staff"), plan, org("INST-T1"), OfferingInput(
        kind="academic", level="zhuanke", major="电气自动化", mode="业余", years=3, tuition_yuan=6000,
        discount_yuan=1000, places=20))
    dept = organisations.create_organisation(db.session, SYSTEM, parent_code="330000", code="DEPT-T",
                                             name="教育厅", kind=OrgKind.education_dept)
    reviewer = factories.user("union_staff", org_code=dept.code)
    assert _counts(reviewer)["programme.declarations"] == 1

    both = staff("institution_staff")
    service.grant_role(db.session, both, Role.union_staff, org("330100"))
    db.session.flush()
    by_role = _keys_by_role(both)
    assert list(by_role) == ["institution_staff", "union_staff"]
    assert "credits.recognition" in by_role["institution_staff"]
    assert "credits.recognition" not in by_role["union_staff"] and "catalog.review" in by_role["union_staff"]


def test_the_desk_page_the_api_and_the_navigation(app, client, auth):
    with app.app_context():
        _institution_work(app, factories.INSTITUTION, "甲")
        _institution_work(app, OTHER, "乙")
        db.session.commit()
    assert client.get("/api/v1/me/desk").status_code == 401
    assert client.get("/api/v1/me/desk").get_json()["error"]["code"] == "login_required"
    assert client.get("/desk").status_code == 302

    auth.as_role("institution_staff")
    body = client.get("/api/v1/me/desk").get_json()
    [role] = body["roles"]
    assert role["role"] == "institution_staff" and role["orgs"] == [{"code": "INST-T1", "name": "测试职业技术学院"}]
    counts = {q["key"]: q["count"] for q in role["queues"]}
    assert counts == {"catalog.returned": 1, "media.failed": 1, "credits.recognition": 1, "programme.admit": 0,
                     "learning.questions": 0}
    assert body["total"] == role["total"] == 3
    assert all(q["oldest_at"] for q in role["queues"] if q["count"])
    assert [i["age_days"] for i in role["items"]] == [0, 0, 0] and "乙" not in str(body)

    html = client.get("/desk").get_data(as_text=True)
    assert "院校工作台" in html and "坏视频甲.mp4" in html and "证书甲" in html and "退回的课甲" in html
    assert "乙" not in html
    assert 'data-desk-link' in html and '>3</span>' in html  # the count in the navigation
    me = client.get("/me").get_data(as_text=True)
    assert "工作台" in me


def test_workers_have_no_desk_and_no_desk_link(app, client, auth):
    auth.as_role("worker")
    assert client.get("/api/v1/me/desk").get_json() == {"total": 0, "roles": []}
    assert "data-desk-link" not in client.get("/me").get_data(as_text=True)
    assert "您没有工作人员身份" in client.get("/desk").get_data(as_text=True)


def test_the_navigation_count_follows_a_handled_item(app, client, auth):
    """The kept count is dropped when a queue's table is written: handling an item shows at once."""
    app.config["SHARED_PARTS_SECONDS"] = 60
    with app.app_context():
        _failed_asset(factories.INSTITUTION, "坏视频.mp4")
        db.session.commit()
    auth.as_role("institution_staff")
    assert ">1</span>" in client.get("/me").get_data(as_text=True)
    with app.app_context():
        asset = db.session.scalar(select(MediaAsset).where(MediaAsset.title == "坏视频.mp4"))
        assert asset is not None
        asset.status = AssetStatus.queued  # 重新转码
        db.session.commit()
    assert 'data-desk-link>工作台</a>' in client.get("/me").get_data(as_text=True)


def test_an_enterprise_desk_holds_its_own_returned_resources_and_failed_uploads(app, desk_db):
    _institution_work(app, factories.INSTITUTION, "甲")
    resource = make(factories.ENTERPRISE, title="企业的课")
    catalog_service.submit(db.session, SYSTEM, resource)
    catalog_service.review(db.session, SYSTEM, resource, "return", "请补充")
    _failed_asset(factories.ENTERPRISE, "企业的视频.mp4")
    company = staff("enterprise_staff")
    [own] = desk.desk_for(db.session, company)
    assert own.role == Role.enterprise_staff
    assert {q.queue.key: q.waiting.count for q in own.queues} == {"catalog.returned": 1, "media.failed": 1,
                                                                  "enterprise.links": 0,  # nobody waits to be confirmed
                                                                  "learning.questions": 0}
    assert sorted(i.title for i in own.items) == ["企业的视频.mp4", "企业的课"]
    assert [i.url for i in own.items if i.key == "catalog.returned"] == [f"/catalog/manage/{resource.id}"]


def test_a_site_admin_has_the_admin_desk(app, client, auth):
    auth.as_role("admin")
    [role] = client.get("/api/v1/me/desk").get_json()["roles"]
    assert role["role"] == "admin" and {"catalog.review", "credits.recognition", "programme.verify"} <= {
        q["key"] for q in role["queues"]}
    assert client.get("/desk").status_code == 200
