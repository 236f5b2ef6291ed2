"""A kept resource page's own part for each viewer (catalog/views.py `_rights`, learning/templating.py
`learning_box`): what the policy answers is kept per standing (every worker without a role shares one) and the
enrol box per what it shows (the learner's progress; the form token put back per session), never showing one
viewer's to another, and following a new role, a withdrawn one, a resource's change and the viewer's own progress
on the very next page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import select

from app.accounts import service as accounts
from app.accounts.models import Membership, Role, User
from app.accounts.organisations import get_by_code
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from catalog.models import Resource
from learning import enrolment
from tests import factories
from tests.catalog.helpers import make
from tests.conftest import CSRF_RE, TEST_DATABASE_URL, Auth

EDIT = "学习规则与测验"  # the enrol box's link for those who may edit the resource
MANAGE = "<h2>管理</h2>"


def _signed_in(app: Flask, phone: str):
    client = app.test_client()
    assert Auth(app, client).login(phone).status_code == 302
    return client


def _course_and_people(app: Flask) -> tuple[int, str, str, str]:
    """A published course of INST-T1, a worker, one of INST-T1's staff and one of INST-T2's."""
    with app.app_context():
        course = make("INST-T1", title="焊工入门", kind="course", lesson_count=2, publish=True)
        worker = factories.user("worker", name="甲工人")
        own = factories.user("institution_staff", org_code="INST-T1", name="本校老师")
        other = factories.user("institution_staff", org_code="INST-T2", name="外校老师")
        _db.session.commit()
        return course.id, worker.phone, own.phone, other.phone


def _page(client, course_id: int) -> str:
    client.get(f"/catalog/r/{course_id}")
    return client.get(f"/catalog/r/{course_id}").get_data(as_text=True)  # the second from what the first kept


def test_each_viewer_sees_only_what_the_policy_gives_them(app):
    course_id, worker, own, other = _course_and_people(app)
    pages = {phone: _page(_signed_in(app, phone), course_id) for phone in (worker, own, other, worker)}
    assert EDIT in pages[own] and MANAGE in pages[own]
    for phone in (worker, other):
        assert EDIT not in pages[phone] and MANAGE not in pages[phone], phone
    assert EDIT not in _page(app.test_client(), course_id)  # and nobody signed in


def test_a_role_given_or_taken_shows_on_the_next_page(app):
    course_id, worker, _own, _other = _course_and_people(app)
    client = _signed_in(app, worker)
    assert EDIT not in _page(client, course_id)
    with app.app_context():
        user = _db.session.scalar(select(User).where(User.phone == worker))
        accounts.grant_role(_db.session, user, Role.institution_staff, get_by_code(_db.session, "INST-T1"))
        _db.session.commit()
    assert EDIT in client.get(f"/catalog/r/{course_id}").get_data(as_text=True)
    with app.app_context():
        membership = _db.session.scalar(select(Membership).join(User).where(
            User.phone == worker, Membership.role == Role.institution_staff))
        accounts.revoke_staff(_db.session, SYSTEM, membership)
        _db.session.commit()
    assert EDIT not in client.get(f"/catalog/r/{course_id}").get_data(as_text=True)


def test_a_resource_given_to_another_provider_changes_who_may_edit_it_at_once(app):
    course_id, _worker, own, other = _course_and_people(app)
    mine, theirs = _signed_in(app, own), _signed_in(app, other)
    assert EDIT in _page(mine, course_id) and EDIT not in _page(theirs, course_id)
    with app.app_context():
        _db.session.get(Resource, course_id).provider_id = get_by_code(_db.session, "INST-T2").id
        _db.session.commit()
    assert EDIT not in mine.get(f"/catalog/r/{course_id}").get_data(as_text=True)
    assert EDIT in theirs.get(f"/catalog/r/{course_id}").get_data(as_text=True)


def test_an_enrolment_made_elsewhere_shows_on_the_next_page_and_only_to_its_learner(app):
    course_id, worker, own, _other = _course_and_people(app)
    learner, colleague = _signed_in(app, worker), _signed_in(app, own)
    assert "立即学习" in _page(learner, course_id) and "立即学习" in _page(colleague, course_id)
    with app.app_context():  # as the API, the CLI or another process would: not through this page
        enrolment.enrol(_db.session, _db.session.scalar(select(User).where(User.phone == worker)), course_id)
        _db.session.commit()
    assert re.search(r"已完成 0 / 2 课时", learner.get(f"/catalog/r/{course_id}").get_data(as_text=True))
    page = colleague.get(f"/catalog/r/{course_id}").get_data(as_text=True)
    assert "立即学习" in page and "已完成" not in page


def test_the_enrol_forms_token_is_this_sessions_own_and_enrols(app):
    course_id, worker, own, _other = _course_and_people(app)
    learner, colleague = _signed_in(app, worker), _signed_in(app, own)
    tokens = [CSRF_RE.search(_page(who, course_id)).group(1) for who in (learner, learner, colleague)]
    assert tokens[0] == tokens[1] != tokens[2]  # the same session's pages may share one; never another's
    assert colleague.post(f"/learning/enrol/{course_id}", data={"csrf_token": tokens[0]}).status_code == 400
    assert learner.post(f"/learning/enrol/{course_id}", data={"csrf_token": tokens[0]}).status_code == 302
    assert "继续学习" in learner.get(f"/catalog/r/{course_id}").get_data(as_text=True)


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the change tokens are SQLite's")
def test_a_learner_browsing_many_resources_is_kept_once_and_read_again_after_progress(app):
    with app.app_context():
        courses = [make("INST-T1", title=f"课程{n}", kind="course", lesson_count=1, publish=True).id for n in range(3)]
        worker = factories.user("worker", name="甲工人")
        enrolment.enrol(_db.session, worker, courses[0])
        _db.session.commit()
        phone = worker.phone
    client = _signed_in(app, phone)
    pages = [_page(client, course_id) for course_id in courses]
    assert "已完成 0 / 1 课时" in pages[0] and all("立即学习" in page for page in pages[1:])
    kept = app.extensions["person_pages"]._parts  # one learner's state, not one per resource browsed
    assert sum(1 for (key, _language) in kept if key[0] == "learning.state") == 1
    with app.app_context():
        enrolment.enrol(_db.session, _db.session.scalar(select(User).where(User.phone == phone)), courses[2])
        _db.session.commit()
    assert "已完成 0 / 1 课时" in client.get(f"/catalog/r/{courses[2]}").get_data(as_text=True)
    assert "立即学习" in client.get(f"/catalog/r/{courses[1]}").get_data(as_text=True)


def test_the_enrol_box_counts_a_lesson_made_optional_on_the_next_page(app):
    course_id, worker, _own, _other = _course_and_people(app)
    with app.app_context():
        enrolment.enrol(_db.session, _db.session.scalar(select(User).where(User.phone == worker)), course_id)
        _db.session.commit()
    learner = _signed_in(app, worker)
    assert "已完成 0 / 2 课时" in _page(learner, course_id)  # the second page from the kept box
    with app.app_context():  # the institution makes one lesson optional: the box's count is of required lessons
        _db.session.get(Resource, course_id).lessons[1].required = False
        _db.session.commit()
    assert "已完成 0 / 1 课时" in learner.get(f"/catalog/r/{course_id}").get_data(as_text=True)


def test_two_sessions_of_one_learner_each_get_their_own_enrol_form(app):
    course_id, worker, _own, _other = _course_and_people(app)
    phone, laptop = _signed_in(app, worker), _signed_in(app, worker)
    tokens = [CSRF_RE.search(_page(who, course_id)).group(1) for who in (phone, laptop)]
    assert tokens[0] != tokens[1]  # the same learner, page and rights: the kept box is still each session's own
    assert laptop.post(f"/learning/enrol/{course_id}", data={"csrf_token": tokens[0]}).status_code == 400
    assert laptop.post(f"/learning/enrol/{course_id}", data={"csrf_token": tokens[1]}).status_code == 302
    assert "继续学习" in phone.get(f"/catalog/r/{course_id}").get_data(as_text=True)
