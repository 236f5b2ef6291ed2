"""Who wrote a resource never selects it, and its co-authors are part of what was reviewed. Reviews' attacks: a
co-author's clerk with a union role rewrote an institution's course, let the institution submit it, left the
co-authors and selected it; a union clerk rewrote a colleague's draft and selected it once the colleague
submitted; a published course gained a co-author (named on its page, and whose staff may withdraw it) unreviewed."""

import pytest

from app.accounts import organisations
from app.accounts import service as accounts
from app.accounts.models import Role
from app.accounts.policy import SYSTEM
from app.errors import Conflict, Forbidden
from catalog import coauthors, lessons, service
from catalog.labels import ACTION_LABELS
from catalog.models import ResourceStatus
from learning import completion
from tests import factories
from tests.catalog.helpers import give_media, make

FORM = {"title": "电工安全（改写版）", "kind": "micro_course", "summary": "我写的全部内容",
        "category": "skills-construction"}


def _clerk_of_coauthor(db, resource):
    person = factories.user("enterprise_staff", "ENT-T1")
    accounts.grant_role(db.session, person, Role.union_staff, organisations.get_by_code(db.session, "330100"))
    row = coauthors.invite(db.session, SYSTEM, resource, "ENT-T1")
    coauthors.accept(db.session, person, row)
    return person, row


def test_attack_a_coauthor_who_edited_leaves_and_selects(db):
    resource = make("INST-T1", title="电工安全")
    person, row = _clerk_of_coauthor(db, resource)
    lessons.update_lesson(db.session, person, resource.lessons[0], {"title": "我的课", "type": "video",
                                                                   "duration": "8:00"})
    coauthors.remove(db.session, person, row)  # leaves while it is a draft: allowed
    service.submit(db.session, factories.user("institution_staff", "INST-T1"), resource)
    db.session.expire_all()
    with pytest.raises(Forbidden):
        service.review(db.session, person, resource, "select")
    assert resource not in service.review_queue(db.session, person)
    steps = [(step.action, step.actor_id) for step in service.history(db.session, resource)]
    assert steps.count(("edit", person.id)) == 1  # once per person, however many changes
    assert str(ACTION_LABELS["edit"]) == "参与编写"


@pytest.mark.parametrize("change", ["form", "rules"])
def test_attack_a_union_clerk_who_wrote_a_colleagues_draft_selects_it(db, change):
    creator = factories.user("union_staff", "330100", name="甲")
    writer = factories.user("union_staff", "330100", name="乙")
    union = organisations.get_by_code(db.session, "330100")
    resource = service.create_resource(db.session, creator, union, {"title": "草稿", "kind": "micro_course",
                                                                     "summary": "x", "category": "skills-construction"})
    lessons.add_lesson(db.session, creator, resource, {"title": "第1课", "type": "video", "duration": "8:00"})
    if change == "form":
        service.update_resource(db.session, writer, resource, FORM)
    else:  # the completion rules decide what its credits cost: writing them is writing it
        completion.save_rules(db.session, writer, resource, "50", "0")
    give_media(resource)
    service.submit(db.session, creator, resource)
    with pytest.raises(Forbidden):
        service.review(db.session, writer, resource, "select")
    assert service.review(db.session, factories.user("union_staff", "330100"), resource, "select").status == \
        ResourceStatus.published


def test_attack_a_coauthor_leaves_a_submitted_course(db):
    resource = make("INST-T1", title="电工安全")
    person, row = _clerk_of_coauthor(db, resource)
    service.submit(db.session, factories.user("institution_staff", "INST-T1"), resource)
    with pytest.raises(Conflict) as refused:
        coauthors.remove(db.session, person, row)
    assert refused.value.code == "not_editable"
    db.session.expire_all()
    assert [partner.code for partner in resource.partners] == ["ENT-T1"]
    with pytest.raises(Forbidden):
        service.review(db.session, person, resource, "select")


def test_attack_no_new_coauthor_on_a_published_course(db):
    resource = make("INST-T1", title="电工安全", publish=True)
    staff = factories.user("institution_staff", "INST-T1")
    with pytest.raises(Conflict):
        coauthors.invite(db.session, staff, resource, "ENT-T1")
    assert resource.partners == []
    draft = make("INST-T1", title="焊工")
    row = coauthors.invite(db.session, staff, draft, "ENT-T1")  # invited while a draft, accepted once published
    service.submit(db.session, staff, draft)
    with pytest.raises(Conflict):
        coauthors.accept(db.session, factories.user("enterprise_staff", "ENT-T1"), row)
    assert row.accepted_at is None
