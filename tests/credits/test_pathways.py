"""Pathways (立交桥): what counts, what is missing, the numbers the bar shows, and bad inputs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.accounts import organisations
from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from credits import conversion, ledger, pathways, recognition, transcript
from credits.pathways import Progress
from tests import factories
from tests.credits.credit_factories import complete, pathway, pdf_bytes, request_values, resource, worker


def _one(user, track) -> Progress:
    return pathways.progress(db.session, user.id, [track])[0]


def test_progress_counts_listed_credits_and_required_modules(db):
    maths, safety, english, other = resource(30, "高等数学"), resource(10, "安全生产"), resource(5, "大学英语"), \
        resource(20, "不在路径里的课")
    track = pathway(80, ((maths, True), (safety, False), (english, True)))
    user = worker()
    start = _one(user, track)
    assert (start.counted, start.missing_credits, len(start.missing_items), start.percent) == (0, 80, 2, 0)
    for item in (maths, safety, other):
        complete(user, item)
    now = _one(user, track)
    assert (now.counted, now.missing_credits) == (40, 40)
    assert [i.resource_id for i in now.missing_items] == [english.id]
    assert [i.resource_id for i in now.done_items] == [maths.id]
    assert now.percent == 50 and not now.complete  # 40 of 80 credits; the missing course is listed apart
    assert transcript.missing_text(now) == "还差 40 学分，还差 1 门必修课"


def test_revoked_credits_and_certificates_stop_counting(db):
    maths = resource(30, "高等数学")
    track = pathway(30, ((maths, True),))
    user = worker()
    earned = complete(user, maths)
    assert _one(user, track).complete and _one(user, track).percent == 100
    ledger.revoke_record(db.session, SYSTEM, earned.id, "考试作弊")
    after = _one(user, track)
    assert (after.counted, len(after.missing_items), after.complete) == (0, 1, False)


def test_converted_and_recognised_credits_count_toward_their_pathways(app, db):
    track, other = pathway(20, title="电工（高级工）", kind="skill"), pathway(20, title="焊工（高级工）", kind="skill")
    conversion.add_conversion(db.session, SYSTEM, {"outcome_type": "skill_certificate", "occupation": "电工",
                                                    "level": "高级工", "credits": "12", "pathways": [track.id]})
    user, staff = worker(), factories.user("institution_staff")
    converted = recognition.submit(db.session, user, request_values(), pdf_bytes(), app.config["DATA_DIR"])
    values = request_values(title="焊接培训证书", outcome_type="training_certificate", occupation="焊工",
                            pathway=str(other.id), claimed_credits="8")
    asked = recognition.submit(db.session, user, values, pdf_bytes(), app.config["DATA_DIR"])
    for request in (converted, asked):
        recognition.review(db.session, staff, request.id, "approve", amount="8")
    assert (_one(user, track).counted, _one(user, other).counted) == (12, 8)
    assert transcript.missing_text(_one(user, track)) == "还差 8 学分"


@pytest.mark.parametrize(("counted", "required", "missing", "done", "percent"), [
    (0, 0, 0, 0, 100), (12, 0, 1, 0, 0), (79.9, 80, 0, 0, 99), (80, 80, 0, 0, 100), (200, 80, 0, 0, 100),
    (80, 80, 1, 1, 99), (0, 80, 0, 3, 0), (10, 12, 1, 0, 83), (10, 12, 0, 0, 83), (0, 0, 1, 1, 50)])
def test_percent_edges(counted, required, missing, done, percent):
    p = Progress(pathway=None, counted=counted, required=required, missing_items=[object()] * missing,
                 done_items=[object()] * done)
    assert p.percent == percent
    assert p.complete == (percent == 100)


@given(counted=st.decimals(min_value=0, max_value=500, places=2), required=st.integers(min_value=1, max_value=300),
       missing=st.integers(min_value=0, max_value=3), done=st.integers(min_value=0, max_value=3))
def test_percent_is_the_floored_share_of_credits(counted, required, missing, done):
    """The bar reads floor(100 × earned / required), capped at 100; 100 only when the pathway is complete (a
    missing required course holds it at 99). Required courses never drag the credit share down."""
    p = Progress(pathway=None, counted=float(counted), required=required, missing_items=[object()] * missing,
                 done_items=[object()] * done)
    share = min(100, (int(counted * 100) // required))  # exact, in integers
    assert 0 <= p.percent <= 100
    if p.complete:
        assert p.percent == 100 and share == 100
    else:
        assert p.percent == min(share, 99)


def test_create_and_add_items_bad_inputs(db):
    inst = organisations.get_by_code(db.session, "INST-T1")
    staff = factories.user("institution_staff")
    with pytest.raises(Invalid) as err:
        pathways.create(db.session, staff, inst, {"title": "", "kind": "phd", "required_credits": "-1",
                                                  "description": "长" * 2001})
    assert set(err.value.fields) == {"title", "kind", "required_credits", "description"}
    with pytest.raises(Invalid):
        pathways.create(db.session, staff, None, {"title": "x", "kind": "skill"})
    with pytest.raises(Forbidden):
        pathways.create(db.session, factories.user("institution_staff", org_code=factories.OTHER_INSTITUTION),
                        inst, {"title": "x", "kind": "skill"})
    track = pathways.create(db.session, staff, inst, {"title": "电工", "kind": "skill", "required_credits": "20"})
    for bad in ("", "abc", "999999", "-1", "①", "²", "99999999999999999999"):  # digits int() refuses, no column holds
        with pytest.raises(Invalid):
            pathways.add_item(db.session, staff, track.id, bad, True)
    item = resource(4)
    pathways.add_item(db.session, staff, track.id, item.id, True)
    with pytest.raises(Conflict):
        pathways.add_item(db.session, staff, track.id, str(item.id), False)
    with pytest.raises(NotFound):
        pathways.add_item(db.session, staff, 424242, item.id, False)
    with pytest.raises(Forbidden):
        pathways.add_item(db.session, worker(), track.id, item.id, False)
    pathways.retire(db.session, staff, track.id)
    assert pathways.for_resource(db.session, item.id) == []


def test_resource_page_shows_credits_and_pathways_before_enrolling(app, client):
    with app.app_context():
        item = resource(4, "低压电工作业")
        pathway(80, ((item, True),), title="机电一体化技术（专科）")
        db.session.commit()
        item_id = item.id
    html = client.get(f"/catalog/r/{item_id}").get_data(as_text=True)
    assert "学完可得 4 学分" in html and "机电一体化技术（专科）" in html and "必修" in html


def test_worker_sees_the_bar_and_what_is_missing(app, client, auth):
    phone = auth.as_role("worker")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        first, second = resource(30, "第一门"), resource(38, "第二门")
        track = pathway(80, ((first, True), (second, False)))
        pathway(20, ((resource(2, "无关课程"), True),), title="家政服务员（中级）", kind="skill")
        complete(user, first)
        complete(user, second)
        db.session.commit()
        track_id = track.id
    for url in ("/credits/", f"/credits/pathways/{track_id}"):
        html = client.get(url).get_data(as_text=True)
        assert "还差 12 学分" in html and '<progress class="upload-bar" max="100" value="85"' in html, url
    assert "家政服务员（中级）" not in client.get("/credits/").get_data(as_text=True)  # only pathways under way
    assert "家政服务员（中级）" in client.get("/credits/pathways").get_data(as_text=True)
    assert client.get("/credits/pathways/424242").status_code == 404


def test_manage_page_creates_with_clear_errors(app, client, auth):
    from tests.conftest import post_form

    auth.as_role("institution_staff")
    bad = post_form(client, "/credits/pathways/manage", {"org": "INST-T1", "title": "", "kind": "skill",
                                                         "required_credits": "-5"})
    assert bad.status_code == 400 and "学分不能是负数" in bad.get_data(as_text=True)
    good = post_form(client, "/credits/pathways/manage", {"org": "INST-T1", "title": "电工（高级工）",
                                                          "kind": "skill", "required_credits": "20"})
    assert good.status_code == 302
    wrong = post_form(client, "/credits/pathways/manage", {"org": factories.OTHER_INSTITUTION, "title": "x",
                                                           "kind": "skill", "required_credits": "1"})
    assert wrong.status_code == 403
