"""Route rows for questions on a lesson, course ratings and 我想学 (issue 24 items 4-5), in the format of
tests/security/test_routes.py. A public question is seen by everyone signed in; a private one only by its asker
and those who teach or oversee the course (INST-T1 under 杭州市: its staff, the 杭州市 and 浙江省 unions, admins);
to anyone else it does not exist (404). The teachers' queue and the wish pages list only what the person may act
on, so other roles see an empty page."""

from tests.security.test_routes import row

GET = {
    "learning_qa.question": ("/learning/questions/{question}", row(200, A=302)),
    "learning_qa.waiting": ("/learning/questions", row(200, A=302)),
    "learning_qa.wish_list": ("/learning/wishes", row(200, A=302)),
    "learning_qa.wish_area": ("/learning/wishes/area", row(200, A=302)),
    # the private question, as another endpoint name cannot repeat: checked through its own row key
    "learning_qa.question#private": ("/learning/questions/{private_question}",
                                     row(404, A=302, I=200, T=200, P=200, D=200)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS: dict[str, str] = {}


def extra_samples(app, base):
    """A learner's public question with a teacher's answer, their private question, and a wish."""
    from app.extensions import db
    from catalog.models import Lesson
    from learning import enrolment, questions, wishes
    from tests import factories

    with app.app_context():
        lesson = db.session.get(Lesson, base["lesson"])
        learner, teacher = factories.user(name="提问学员"), factories.user("institution_staff", name="答题老师")
        enrolment.enrol(db.session, learner, lesson.resource_id)
        public = questions.ask(db.session, learner, lesson, "公开的问题")
        answer = questions.answer(db.session, teacher, public, "老师的回答")
        private = questions.ask(db.session, learner, lesson, "私下的问题", private=True)
        wish = wishes.make(db.session, learner, "叉车操作")
        db.session.commit()
        return {"question": public.id, "private_question": private.id, "rule_values": {
            "question_id": public.id, "answer_id": answer.id, "item_id": public.id, "kind": "questions",
            "wish_id": wish.id}}
