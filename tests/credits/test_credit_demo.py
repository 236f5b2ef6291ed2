"""The demo data: pathways over demo resources, a conversion row, and a request waiting for the demo reviewer,
which approving converts into credits that move the pathway bars."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import demo
from app.accounts.models import User
from app.extensions import db
from credits import pathways, recognition
from credits.models import Pathway


@pytest.mark.demo
def test_demo_pathways_and_a_request_to_review(db):
    found = list(db.session.scalars(select(Pathway).order_by(Pathway.id)))
    assert [(p.title, len(p.items)) for p in found] == [("机电一体化技术（专科）", 6),
                                                        ("电工（高级工）技能提升路径", 4)]
    reviewer = db.session.scalar(select(User).where(User.phone == "13900000005"))
    worker = db.session.scalar(select(User).where(User.phone == "13900000007"))
    [request] = recognition.queue(db.session, reviewer)
    assert request.user_id == worker.id
    recognition.review(db.session, reviewer, request.id, "approve")
    track = pathways.progress(db.session, worker.id, found)
    assert [(p.counted, p.missing_credits) for p in track] == [(10, 70), (10, 2)]



@pytest.mark.demo
def test_demo_worker_sees_recommendations_that_explain_themselves(app, client, auth):
    """The union's catalog explains the first picks; once the demo reviewer approves the worker's certificate
    (credits on the 电工 track), the track's missing courses come first, saying why."""
    auth.login("13900000007", demo.DEMO_PASSWORD)
    page = client.get("/").get_data(as_text=True)
    assert "接下来学什么" in page and "西湖区总工会资源目录推荐" in page
    with app.app_context():
        reviewer = db.session.scalar(select(User).where(User.phone == "13900000005"))
        [request] = recognition.queue(db.session, reviewer)
        recognition.review(db.session, reviewer, request.id, "approve")
        db.session.commit()
    page = client.get("/").get_data(as_text=True)
    start = page.find("next-courses")
    assert "因为你在学 电工（高级工）技能提升 路径" in page, page[start:start + 3000]
