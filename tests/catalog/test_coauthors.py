"""校企合作 co-authoring: an institution invites an enterprise onto its resource; once accepted both are named on the
page and in the JSON-LD and both organisations' staff edit it, on every path into editing (the form, the lessons
editor, the workflow, the media API). Attacks: a third organisation cannot edit, nor can an invited-but-not-accepted
one, nor a removed co-author; only the invited organisation accepts; a co-author never reviews its own resource."""

import json
import re

import pytest

from app.accounts.policy import SYSTEM, can
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db as _db
from catalog import bulk, coauthors, lessons, service
from catalog.models import ResourceStatus
from media.models import AssetStatus, MediaAsset
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import csrf_token, post_form

FORM = {"title": "电工安全（校企版）", "kind": "micro_course", "summary": "车间里的用电安全",
        "category": "skills-construction"}


def _pair(db, *, accepted=True):
    resource = make(title="电工安全")
    row = coauthors.invite(db.session, factories.user("institution_staff", "INST-T1"), resource, "ENT-T1")
    if accepted:
        coauthors.accept(db.session, factories.user("enterprise_staff", "ENT-T1"), row)
    return resource, row


def test_invite_accept_edit_and_remove(db):
    resource, row = _pair(db, accepted=False)
    ent = factories.user("enterprise_staff", "ENT-T1")
    with pytest.raises(Forbidden):  # invited is not yet a co-author
        service.update_resource(db.session, ent, resource, FORM)
    assert resource.partners == [] and coauthors.invitations_for(db.session, [row.org]) == [row]
    coauthors.accept(db.session, ent, row)
    assert [o.code for o in resource.partners] == ["ENT-T1"]
    service.update_resource(db.session, ent, resource, FORM)  # both may edit
    lessons.add_lesson(db.session, ent, resource, {"title": "现场演示", "type": "reading", "body": "正文"})
    service.update_resource(db.session, factories.user("institution_staff", "INST-T1"), resource, FORM)
    assert resource in service.resources_of(db.session, [row.org])  # on the enterprise's 我的资源
    with pytest.raises(Conflict):
        coauthors.accept(db.session, ent, row)
    coauthors.remove(db.session, factories.user("institution_staff", "INST-T1"), row)
    with pytest.raises(Forbidden):  # a removed co-author: at once
        service.update_resource(db.session, ent, resource, FORM)
    assert not can(ent, "resource.view", resource) and resource.partners == []


def test_a_third_organisation_never_edits_invites_or_accepts(db):
    resource, row = _pair(db)
    for outsider in (factories.user("institution_staff", "INST-T2"), factories.user("union_staff", "330106"),
                     factories.user()):
        with pytest.raises(Forbidden):
            service.update_resource(db.session, outsider, resource, FORM)
        with pytest.raises(Forbidden):
            service.submit(db.session, outsider, resource)
        with pytest.raises(Forbidden):
            coauthors.invite(db.session, outsider, resource, "INST-T2")
        with pytest.raises(Forbidden):
            coauthors.remove(db.session, outsider, row)
    pending = coauthors.invite(db.session, SYSTEM, make(title="另一门"), "ENT-T1")
    with pytest.raises(Forbidden):  # only the invited organisation accepts, not the inviter for it
        coauthors.accept(db.session, factories.user("institution_staff", "INST-T1"), pending)
    with pytest.raises(Forbidden):  # a co-author cannot invite a third party onto someone else's resource
        coauthors.invite(db.session, factories.user("enterprise_staff", "ENT-T1"), resource, "INST-T2")


def test_only_an_institution_and_an_enterprise_pair_up(db):
    resource = make(title="电工安全")
    inst = factories.user("institution_staff", "INST-T1")
    for code in ("INST-T2", "330106", "nonsense", "INST-T1"):
        with pytest.raises(Invalid):
            coauthors.invite(db.session, inst, resource, code)
    coauthors.invite(db.session, inst, resource, "ENT-T1")
    with pytest.raises(Conflict):
        coauthors.invite(db.session, inst, resource, "ENT-T1")


def test_a_coauthor_leaves_and_never_reviews_its_own_resource(db):
    resource, row = _pair(db)
    ent = factories.user("enterprise_staff", "ENT-T1")
    service.submit(db.session, ent, resource)
    both = factories.user("union_staff", "330106")  # someone who is also on the enterprise's staff
    from app.accounts import organisations
    from app.accounts import service as accounts
    from app.accounts.models import Role
    accounts.grant_role(db.session, both, Role.enterprise_staff, organisations.get_by_code(db.session, "ENT-T1"))
    outcome = bulk.review_many(db.session, both, [resource.id], "select")  # the bulk path too
    assert outcome.done == [] and resource.status == ResourceStatus.submitted
    service.withdraw(db.session, ent, resource, "再改改")  # a co-author withdraws, as the provider may
    coauthors.remove(db.session, ent, row)  # and leaves
    with pytest.raises(Forbidden):
        service.update_resource(db.session, ent, resource, FORM)


def _ld(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))


def test_the_coauthors_staff_find_the_edit_button_on_the_kept_page(app, db, client, auth):
    resource, _row = _pair(db)
    service.submit(db.session, SYSTEM, resource)
    service.review(db.session, SYSTEM, resource, "select")
    db.session.commit()
    client.get(f"/catalog/r/{resource.id}")  # an anonymous visit keeps the page's shared parts
    auth.as_role("enterprise_staff", "ENT-T1")
    for _visit in range(2):  # rendered from the kept row too
        assert f'href="/catalog/manage/{resource.id}"' in client.get(f"/catalog/r/{resource.id}").get_data(as_text=True)
    auth.logout()
    auth.as_role("institution_staff", "INST-T2")
    assert f'href="/catalog/manage/{resource.id}"' not in client.get(f"/catalog/r/{resource.id}").get_data(
        as_text=True)


def test_both_are_named_on_the_page_the_json_ld_and_the_api(app, db, client):
    resource, row = _pair(db)
    service.submit(db.session, SYSTEM, resource)
    service.review(db.session, SYSTEM, resource, "select")
    db.session.commit()
    page = client.get(f"/catalog/r/{resource.id}").get_data(as_text=True)
    assert "测试职业技术学院、测试电器有限公司" in page
    data = _ld(page)
    assert data["provider"]["identifier"] == "INST-T1"
    assert [c["identifier"] for c in data["contributor"]] == ["ENT-T1"]
    assert [c["code"] for c in client.get(f"/api/v1/resources/{resource.id}").get_json()["coauthors"]] == ["ENT-T1"]
    coauthors.remove(db.session, SYSTEM, row)
    db.session.commit()
    page = client.get(f"/catalog/r/{resource.id}").get_data(as_text=True)  # the kept page part follows at once
    assert "测试电器有限公司" not in page and "contributor" not in _ld(page)


def _ready_asset(org_code: str) -> int:
    from app.accounts import organisations

    asset = MediaAsset(org_id=organisations.get_by_code(_db.session, org_code).id, title="演示.mp4",
                       status=AssetStatus.ready, duration_s=60.0, has_video=True, has_audio=True)
    _db.session.add(asset)
    _db.session.flush()
    asset.output_key = f"assets/{asset.id}/fixture"
    return asset.id


def test_every_path_into_editing_follows_the_one_rule(app, db, client, auth):
    resource, row = _pair(db)
    resource_id, lesson_id = resource.id, resource.lessons[0].id
    ent_asset, other_asset = _ready_asset("ENT-T1"), _ready_asset("INST-T2")
    db.session.commit()
    paths = [f"/catalog/manage/{resource_id}", f"/catalog/manage/{resource_id}/lessons",
             f"/learning/r/{resource_id}/quiz/edit"]
    # a third organisation: every editing page refused, the form and the media API too
    auth.as_role("institution_staff", "INST-T2")
    assert [client.get(p).status_code for p in paths] == [403, 403, 404]  # the quiz editor: not found
    assert post_form(client, paths[0], {**FORM, "title": "被改了"}, source="/me/password").status_code == 403
    token = csrf_token(client, "/me/password")
    attach = client.post(f"/api/v1/media/{other_asset}/lesson", json={"lesson_id": lesson_id},
                         headers={"X-CSRFToken": token})
    assert attach.status_code == 403
    auth.logout()
    # the co-author: the same pages open, the form saves, the API attaches its own video
    auth.as_role("enterprise_staff", "ENT-T1")
    assert [client.get(p).status_code for p in paths] == [200, 200, 200]
    assert "电工安全" in client.get("/catalog/manage").get_data(as_text=True)
    assert post_form(client, paths[0], {**FORM, "title": "电工安全（校企版）"}).status_code == 302
    token = csrf_token(client, "/me/password")
    attach = client.post(f"/api/v1/media/{ent_asset}/lesson", json={"lesson_id": lesson_id},
                         headers={"X-CSRFToken": token})
    assert attach.status_code == 200
    # removed: every path closes at once
    coauthors.remove(db.session, SYSTEM, db.session.merge(row))
    db.session.commit()
    assert [client.get(p).status_code for p in paths] == [403, 403, 404]  # the quiz editor: not found
    assert post_form(client, paths[0], {**FORM, "title": "又改了"}, source="/me/password").status_code == 403
    token = csrf_token(client, "/me/password")
    assert client.post(f"/api/v1/media/{ent_asset}/lesson", json={"lesson_id": lesson_id},
                       headers={"X-CSRFToken": token}).status_code == 403
    assert service.get_resource(db.session, resource_id).title == "电工安全（校企版）"


def test_invitation_pages(app, db, client, auth):
    resource = make(title="电工安全")
    db.session.commit()
    auth.as_role("institution_staff", "INST-T1")
    url = f"/catalog/manage/{resource.id}/coauthors"
    assert post_form(client, url, {"org": "INST-T2"}).status_code == 400
    assert post_form(client, url, {"org": "ENT-T1"}).status_code == 302
    auth.logout()
    auth.as_role("enterprise_staff", "ENT-T1")
    manage = client.get("/catalog/manage").get_data(as_text=True)
    assert "邀请" in manage and "电工安全" in manage
    row_id = service.get_resource(db.session, resource.id).coauthors[0].id
    assert post_form(client, f"/catalog/coauthors/{row_id}/accept", {}, source="/catalog/manage").status_code == 302
    assert client.get(f"/catalog/manage/{resource.id}").status_code == 200
    auth.logout()
    auth.as_role("institution_staff", "INST-T2")
    assert client.get(url).status_code == 404  # not theirs: not even that it exists
    assert post_form(client, f"/catalog/coauthors/{row_id}/remove", {}, source="/me/password").status_code == 403


def test_a_co_author_who_submitted_never_selects_it_after_leaving(db):
    """A review's attack: a person on an enterprise's staff who also held a union role accepted the institution's
    invitation, rewrote and submitted the course (the review refused them then), left the co-authors, and selected
    it: published by the person who submitted it. Submitting makes it their own work for good."""
    from app.accounts import organisations
    from app.accounts import service as accounts
    from app.accounts.models import Role

    resource = make("INST-T1", title="电工安全")
    person = factories.user("enterprise_staff", "ENT-T1")
    accounts.grant_role(db.session, person, Role.union_staff, organisations.get_by_code(db.session, "330100"))
    row = coauthors.invite(db.session, SYSTEM, resource, "ENT-T1")
    coauthors.accept(db.session, person, row)
    service.submit(db.session, person, resource)
    with pytest.raises(Forbidden):
        service.review(db.session, person, resource, "select")
    with pytest.raises(Conflict) as waiting:  # not while it waits for review: returned first
        coauthors.remove(db.session, person, row)
    assert waiting.value.code == "not_editable"
    reviewer = factories.user("union_staff", "330100")
    service.review(db.session, reviewer, resource, "return", "请补充")
    coauthors.remove(db.session, person, row)
    service.submit(db.session, factories.user("institution_staff", "INST-T1"), resource)
    db.session.expire_all()
    with pytest.raises(Forbidden):
        service.review(db.session, person, resource, "select")
    assert resource not in service.review_queue(db.session, person)
    assert service.review(db.session, reviewer, resource, "select").status == ResourceStatus.published
