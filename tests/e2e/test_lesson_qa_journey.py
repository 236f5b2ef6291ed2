"""Issue 24 items 4-5 on a phone (360 px): a worker asks a question on a lesson, the course's teacher finds it in
the queue of unanswered questions and answers, the worker sees the answer and marks it helpful; then the worker
finishes the course and rates it with one tap, and is shown what to study next with its reason. The same again
with 简易模式 (low-literacy mode) on: large type, read-aloud buttons, the same forms (issue 24's "done when")."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from app.extensions import db
from learning import enrolment
from tests import factories
from tests.browser import ARTIFACTS
from tests.learning.conftest import make_course

pytestmark = pytest.mark.browser


def _sign_in(page, phone: str) -> None:
    page.context.clear_cookies()
    page.goto("/auth/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("easy", [False, True], ids=["plain", "easy-mode"])
def test_ask_answer_helpful_and_rate_on_a_phone(app, page, easy):
    with app.app_context():
        course = make_course("叉车安全操作", videos=(), reading=False)  # one external lesson
        make_course("叉车日常保养", videos=(), reading=False)  # something to study next
        worker, teacher = factories.user(name="李小梅"), factories.user("institution_staff", name="王老师")
        enrolment.enrol(db.session, worker, course.id)
        db.session.commit()
        lesson_url = f"/learning/lessons/{course.lessons[0].id}"
        worker_phone, teacher_phone = worker.phone, teacher.phone

    _sign_in(page, worker_phone)
    page.goto(lesson_url)
    if easy:  # one tap in the top bar; remembered on this phone for this person
        page.locator(".topbar [data-easy-toggle]").click()
        expect(page.locator("html.easy")).to_have_count(1)
        expect(page.locator(".easy-speak").first).to_be_visible()
    page.get_by_label("向老师提问").fill("叉车倒车时要注意什么？")
    page.get_by_role("button", name="提问", exact=True).click()
    expect(page).to_have_url(re.compile(r"/learning/questions/\d+$"))
    question_url = page.url
    expect(page.locator(".qa-body").first).to_contain_text("叉车倒车时要注意什么？")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    _sign_in(page, teacher_phone)
    page.goto("/learning/questions")
    page.get_by_role("link", name=re.compile("叉车安全操作")).click()
    page.get_by_role("textbox", name="回答").fill("倒车前**鸣笛**，回头看清后方。")
    page.get_by_role("button", name="发送回答").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".qa-answer strong")).to_have_text("鸣笛")

    _sign_in(page, worker_phone)
    page.goto(question_url)
    answer = page.locator(".qa-answer")
    expect(answer).to_contain_text("回头看清后方")
    answer.get_by_role("button", name=re.compile("有帮助")).click()
    expect(page.locator(".qa-answer .count")).to_have_text("1")
    page.goto(lesson_url)
    expect(page.locator(".qa-best")).to_contain_text("1人觉得有帮助")

    page.get_by_role("button", name="我已学完这一课").click()
    rating = page.locator("form.rating")
    expect(rating).to_be_visible()
    rating.get_by_role("button", name="5星").click()
    expect(page.locator(".flash-success")).to_contain_text("谢谢你的评分")
    expect(page.locator("form.rating")).to_contain_text("你的评分：5星")
    expect(page.locator(".next-course").first).to_contain_text("叉车日常保养")
    expect(page.locator(".next-reason").first).not_to_be_empty()  # each suggestion says why
    expect(page.locator("html.easy")).to_have_count(1 if easy else 0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"lesson-qa-{'easy' if easy else 'plain'}-360.png"), full_page=True)
