"""The questions-and-wishes demo: the demo worker sees her question answered by the demo teacher (marked helpful),
and the wish list shows wishes ranked by votes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from learning.demo import WORKER_PHONE
from learning.qa_demo import TEACHER_PHONE
from learning.qa_models import Question


@pytest.mark.demo
def test_demo_question_answered_and_wishes_with_votes(app, client, auth):
    auth.login(WORKER_PHONE, "qiuxue-demo")
    wishes = client.get("/learning/wishes").get_data(as_text=True)
    assert wishes.index("叉车操作证") < wishes.index("焊工（电焊）入门") and "4票" in wishes
    with app.app_context():
        asked = db.session.scalar(select(Question.id).where(Question.body.contains("漏电保护器跳闸后")))
    mine = client.get(f"/learning/questions/{asked}").get_data(as_text=True)
    assert "漏电保护器跳闸后" in mine and "先查原因" in mine
    assert '<span class="count">1</span>' in mine  # she marked it helpful
    auth.logout()
    auth.login(TEACHER_PHONE, "qiuxue-demo")
    assert "没有等待回答的提问" in client.get("/learning/questions").get_data(as_text=True)
