"""The demo shows issue 23's enterprise side by hand: 萧山华成电器's teaching and exam points on the map list of
萧山区, a course it co-authors with 杭州职业技术学院 (both named, both may edit) and its training officer as the
course's workplace mentor beside the teacher."""

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.policy import can
from catalog.models import Resource
from programme.partnership import mentors


@pytest.mark.demo
def test_demo_enterprise_points_coauthored_course_and_mentor(app, client, db):
    listed = client.get("/programme/service-points?area=330109&kind=teaching&lat=30.23&lng=120.29").get_data(
        as_text=True)
    assert "华成电器职工教学点" in listed and "公里" in listed
    assert "华成电器技能考试点" in client.get("/programme/service-points?area=330100&kind=exam").get_data(as_text=True)
    course = db.session.scalar(select(Resource).where(Resource.title == "电力安全工作规程解读"))
    officer = db.session.scalar(select(User).where(User.phone == "13900000006"))
    assert [o.code for o in course.partners] == ["ENT-XH-ELEC"] and can(officer, "resource.edit", course)
    assert mentors.mentors_for(db.session, course.id) == [officer]
    page = client.get(f"/catalog/r/{course.id}").get_data(as_text=True)
    assert "杭州职业技术学院、萧山华成电器有限公司" in page and "校企双导师" in page and "电气车间培训专员" in page
