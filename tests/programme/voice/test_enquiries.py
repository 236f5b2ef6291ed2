"""Enquiries (咨询): routing to the right union, validation, the rate limit, who may answer, the unread
mark on /me, escaping of what workers type, and the policy page the province edits."""

from datetime import timedelta

import pytest

from app.accounts import organisations, profiles
from app.accounts.models import OrgKind, OrgLevel
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.errors import Forbidden, Invalid, NotFound, TooManyRequests
from app.extensions import db as _db
from programme.voice import enquiries
from programme.voice.models import Enquiry
from tests import factories
from tests.conftest import post_form

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def worker(union_code: str | None = "330106", name: str = "张三明"):
    user = factories.user(name=name)
    if union_code:
        profiles.update_profile(_db.session, user, user, {"union_member": True, "union_code": union_code})
    return user


def test_routes_to_the_workers_county_or_the_chosen_level(db):
    township = organisations.create_organisation(db.session, SYSTEM, parent_code="330106", code="330106001",
                                                 name="西溪街道总工会", kind=OrgKind.union)
    asker = worker()
    assert enquiries.route(db.session, asker).code == "330106"
    assert enquiries.route(db.session, asker, OrgLevel.city).code == "330100"
    assert enquiries.route(db.session, asker, OrgLevel.province).code == "330000"
    assert enquiries.route(db.session, worker(township.code)).code == township.code  # the township handles its own
    assert enquiries.route(db.session, worker(township.code), OrgLevel.county).code == "330106"
    assert enquiries.route(db.session, worker("330100")).code == "330100"  # no county on file: the nearest
    assert enquiries.route(db.session, worker(None)).code == "330000"


def test_bad_input_reports_every_field_and_saves_nothing(db):
    asker = worker()
    with pytest.raises(Invalid) as err:
        enquiries.ask(db.session, asker, subject=" ", question="短", level="township")
    assert set(err.value.fields) == {"subject", "question", "level"}
    with pytest.raises(Invalid) as err:
        enquiries.ask(db.session, asker, subject="x" * 101, question="y" * 2001, level="galaxy")
    assert set(err.value.fields) == {"subject", "question", "level"}
    assert db.session.query(Enquiry).count() == 0


def test_asking_is_throttled_per_worker_in_a_sliding_window(db):
    asker, other = worker(), worker()
    now = utcnow()
    for minute in range(2):
        enquiries.ask(db.session, asker, subject="学费", question="学费怎么补贴？", max_count=2,
                      window=timedelta(hours=1), now=now + timedelta(minutes=minute))
    with pytest.raises(TooManyRequests) as err:
        enquiries.ask(db.session, asker, subject="学费", question="学费怎么补贴？", max_count=2,
                      window=timedelta(hours=1), now=now + timedelta(minutes=5))
    assert "55分钟" in err.value.message and err.value.code == "enquiry_throttled"
    enquiries.ask(db.session, other, subject="学费", question="别人不受影响", max_count=2, now=now)
    enquiries.ask(db.session, asker, subject="学费", question="一小时后又可以问了", max_count=2,
                  window=timedelta(hours=1), now=now + timedelta(minutes=61))


def test_only_the_unions_over_the_target_answer_and_the_asker_sees_it_unread(db):
    asker = worker()
    enquiry = enquiries.ask(db.session, asker, subject="报名", question="报名需要什么材料？")
    county, city = factories.user("union_staff", "330106"), factories.user("union_staff", "330100")
    for outsider in (factories.user("union_staff", "330102"), factories.user("institution_staff"), asker):
        with pytest.raises(Forbidden):
            enquiries.answer(db.session, outsider, enquiry, "不是我来答")
        if outsider is not asker:
            with pytest.raises(NotFound):
                enquiries.get(db.session, outsider, enquiry.id)
    with pytest.raises(Invalid):
        enquiries.answer(db.session, county, enquiry, "   ")
    assert enquiries.unread_count(db.session, asker) == 0
    enquiries.answer(db.session, city, enquiry, "身份证和劳动合同。")
    assert enquiries.unread_count(db.session, asker) == 1
    enquiries.mark_seen(db.session, county, enquiry)  # staff opening it changes nothing for the worker
    assert enquiries.unread_count(db.session, asker) == 1
    enquiries.mark_seen(db.session, asker, enquiry)
    assert enquiries.unread_count(db.session, asker) == 0


def test_inbox_lists_the_unions_subtree_only(db):
    enquiries.ask(db.session, worker("330106"), subject="西湖", question="西湖区的问题")
    enquiries.ask(db.session, worker("330102"), subject="上城", question="上城区的问题")
    subjects = lambda user: {e.subject for e in enquiries.inbox(db.session, user)[0]}  # noqa: E731
    assert subjects(factories.user("union_staff", "330106")) == {"西湖"}
    assert subjects(factories.user("union_staff", "330100")) == {"西湖", "上城"}
    assert subjects(factories.user("institution_staff")) == set()
    assert subjects(factories.user("admin")) == {"西湖", "上城"}


def test_worker_asks_staff_answers_and_me_shows_the_badge_escaped(app, client, auth):
    phone = auth.as_role("worker")
    response = post_form(client, "/enquiries", {"subject": XSS[:90], "question": XSS, "level": ""})
    assert response.status_code == 302
    with app.app_context():
        enquiry = _db.session.query(Enquiry).one()
        enquiry_id, org = enquiry.id, enquiry.org.code
        assert enquiry.question == XSS  # stored as typed; escaped when shown
        staff = factories.user("union_staff", org)
        enquiries.answer(_db.session, staff, enquiry, "答复 <b>加粗</b>")
        _db.session.commit()
    home = client.get("/me").get_data(as_text=True)
    assert "我的咨询" in home and 'class="badge"' in home
    page = client.get(f"/enquiries/{enquiry_id}").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;加粗" in page
    assert 'class="badge"' not in client.get("/me").get_data(as_text=True)  # opened: no longer unread
    auth.logout()
    auth.login(phone)  # the same worker again: still read
    assert 'class="badge"' not in client.get("/me").get_data(as_text=True)


def test_web_form_shows_errors_and_the_rate_limit_answers_429(app, client, auth):
    app.config["ENQUIRY_MAX_PER_WINDOW"] = 1
    auth.as_role("worker")
    bad = post_form(client, "/enquiries", {"subject": "", "question": "短"})
    assert bad.status_code == 400 and "请填写标题" in bad.get_data(as_text=True)
    assert post_form(client, "/enquiries", {"subject": "问", "question": "第一个问题"}).status_code == 302
    limited = post_form(client, "/enquiries", {"subject": "问", "question": "第二个问题来得太快"})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert "提问太频繁" in limited.get_data(as_text=True) and "第二个问题来得太快" in limited.get_data(as_text=True)
    with app.app_context():
        assert _db.session.query(Enquiry).count() == 1


def test_policy_page_is_edited_by_the_province_and_cleaned(app, client, auth):
    assert client.get("/policy").status_code == 200
    auth.as_role("union_staff", "330100")
    assert client.get("/policy/edit").status_code == 403
    auth.logout()
    auth.as_role("union_staff", "330000")
    empty = post_form(client, "/policy/edit", {"title": "", "body": "<script>x</script>"})
    assert empty.status_code == 400 and "请填写正文" in empty.get_data(as_text=True)
    saved = post_form(client, "/policy/edit", {"title": "政策问答", "body": "<h2>补贴</h2><p>大专1000元</p>" + XSS
                                                + '<img src="https://tracker.example/p.png"><img src="//x.example/a">'
                                                + '<img src="/static/icons/favicon.svg" alt="徽标">'})
    assert saved.status_code == 302
    page = client.get("/policy").get_data(as_text=True)
    assert "<h2>补贴</h2>" in page and "onerror" not in page and "alert" not in page
    assert "example" not in page and 'src="/static/icons/favicon.svg"' in page
