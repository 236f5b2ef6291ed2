"""The credit bank pages on a 360 px phone: fit, light, accessible, big enough text and targets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.policy import SYSTEM
from app.extensions import db
from credits import certificates, pathways, recognition
from credits.models import Certificate
from tests.catalog.helpers import make
from tests.credits.credit_factories import complete, pathway, pdf_bytes, request_values, resource
from tests.e2e.test_quality import check_page

pytestmark = pytest.mark.browser


def test_worker_and_reviewer_pages_pass_the_phone_checks(app, page, login):
    phone = login("worker")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.phone == phone))
        first, second = resource(30, "机电一体化技术：电工电子基础"), resource(4, "安全生产基础知识")
        track = pathway(80, ((first, True), (second, False)))
        complete(user, first)
        request = recognition.submit(db.session, user, request_values(), pdf_bytes(), app.config["DATA_DIR"])
        course = make(title="建筑识图与构造", kind="course", publish=True, credits="3")  # the course badge contrasts
        pathways.add_item(db.session, SYSTEM, track.id, course.id, True)
        db.session.commit()
        found = db.session.scalar(select(Certificate).where(Certificate.user_id == user.id))
        token = certificates.token_for(app.config["SECRET_KEY"], found)
        ids = {"request": request.id, "course": course.id}
    # the pages a worker meets (the others share their layout and parts)
    for url in ("/credits/", "/credits/recognition/new", f"/verify/{token}", f"/catalog/r/{ids['course']}"):
        check_page(page, url)
    html = page.content()
    assert "学完可得 3 学分" in html and "机电一体化技术（专科）" in html
    assert "还差 50 学分" in page.goto("/credits/").text()
    page.context.clear_cookies()
    login("institution_staff")
    check_page(page, f"/credits/recognition/{ids['request']}")
