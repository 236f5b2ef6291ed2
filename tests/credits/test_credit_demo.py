"""The demo data: pathways over demo resources, a conversion row, and a request waiting for the demo reviewer,
which approving converts into credits that move the pathway bars."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from credits import pathways, recognition
from credits.models import Pathway


def test_demo_pathways_and_a_request_to_review(runner, db):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
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
