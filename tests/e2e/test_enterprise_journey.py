"""An enterprise's staff member on a 360 px phone nominates three of its workers for an offering, enrols them in
one batch in a course, and watches the progress page fill in as the workers consent (one of them in the
browser, through 我的企业); the one who did not consent never shows."""

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests import factories
from tests.catalog.helpers import make
from tests.programme.enterprises.helpers import linked
from tests.programme.helpers import offering, open_year, worker

pytestmark = pytest.mark.browser
NAMES = ("陈志强", "周丽华", "吴海涛")


def test_enterprise_nominates_enrols_and_watches_progress(app, page, login):
    with app.app_context():
        item = offering(open_year())
        course = make(publish=True, title="安全用电三堂课")
        people = [linked(worker(name)) for name in NAMES]
        phones = [p.phone for p in people]
        major, course_id = item.major, course.id
        db.session.commit()
    login("enterprise_staff")
    page.goto("/programme/enterprise")
    for name in NAMES:
        page.get_by_label(name).check()
    page.get_by_label("推荐理由（职工和审核的工会可见）").fill("车间骨干")
    page.get_by_role("button", name="推荐所选职工").click()
    expect(page.get_by_text("已推荐3名职工报读")).to_be_visible()
    expect(page.locator("li.nomination")).to_have_count(3)
    for name in NAMES:
        page.get_by_label(name).check()
    page.get_by_label("报名内容（课程或学分路径）").select_option(f"resource:{course_id}")
    page.get_by_role("button", name="为所选职工报名").click()
    expect(page.get_by_text("已为3名职工报名")).to_be_visible()
    expect(page.get_by_text("还没有职工授权本企业查看学习情况。")).to_be_visible()  # enrolled, but nobody consented
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # the first worker consents on their own phone, in 我的企业, and sees the recommendation there
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(phones[0])
    page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto("/programme/employer")
    expect(page.locator("li.nomination")).to_contain_text(major)
    page.get_by_role("button", name="授权企业查看我的学习情况").click()
    expect(page.get_by_text("已授权企业查看您的学习进度、学分和证书。")).to_be_visible()
    with app.app_context():  # the second consents too; the third does not
        from app.accounts.models import User
        from programme.enterprises import links

        second = db.session.scalar(db.select(User).where(User.phone == phones[1]))
        links.set_consent(db.session, second, True)
        db.session.commit()
    page.context.clear_cookies()
    login("enterprise_staff")
    page.goto("/programme/enterprise/progress")
    rows = page.locator("li.worker-progress")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=NAMES[0])).to_contain_text("安全用电三堂课")
    expect(page.get_by_text(NAMES[2])).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
