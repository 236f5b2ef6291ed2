"""Questions on a lesson and the teachers' answers (issue 24 item 4).

An enrolled learner asks (public, or private: only the asker and the provider's teachers see it); the provider's
teachers are told through the notifications centre and answer as their institution (the policy's "qa.answer",
never a form field); learners mark answers helpful (once each) and the helpful ones come first for later
learners. Anyone who sees an item may report it; the teachers and the unions over the provider hide it. Asking is
announced (app.events.QUESTION_ASKED). Workplace mentors (企业导师, named by enterprises in programme/partnership)
are co-answerers of the public questions: the programme side registers where they are found (`add_co_answerers`),
so learning never imports it; they are told of a new public question and answer for their enterprise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app import events, notifications, throttle
from app.accounts import scope
from app.accounts.models import Membership, OrgKind, Role
from app.accounts.policy import STAFF_ROLE, can, require
from app.db import utcnow
from app.errors import Invalid, NotFound
from app.notifications.kinds import QUESTION
from app.richtext import markdown_source
from catalog.models import Lesson, Resource
from learning.enrolment import enrolment_of
from learning.qa_models import Answer, AnswerMark, QaReport, Question

BODY_MAX = 1000
ASK_MAX, ASK_WINDOW = 5, timedelta(hours=1)  # questions per learner per hour
# (session, resource id) -> {user id: the organisation they answer for}, registered by a package's init_app
CoAnswerers = Callable[[Session, int], dict[int, int]]
_co_answerers: list[CoAnswerers] = []


def add_co_answerers(source: CoAnswerers) -> None:
    """Besides the provider's teachers, these people answer a resource's public questions (registered once)."""
    if source not in _co_answerers:
        _co_answerers.append(source)


def co_answerers(session: Session, resource_id: int) -> dict[int, int]:
    found: dict[int, int] = {}
    for source in _co_answerers:
        for user_id, org_id in source(session, resource_id).items():
            found.setdefault(user_id, org_id)
    return found


def may_answer(session: Session, user: Any, question: Question) -> bool:
    """The provider's teachers answer every question; a co-answerer (a workplace mentor) the public ones."""
    if can(user, "qa.answer", question.resource):
        return True
    return not question.private and getattr(user, "id", None) in co_answerers(session, question.resource_id)


def _body(value: Any) -> str:
    body = markdown_source(value)
    if not body:
        raise Invalid(_("请写下内容。"), fields={"body": _("请写下内容。")})
    if len(body) > BODY_MAX:
        raise Invalid(_("最多%(n)d字。", n=BODY_MAX), fields={"body": _("最多%(n)d字。", n=BODY_MAX)})
    return body


def teachers_of(session: Session, resource: Resource) -> list[int]:
    """The provider's staff (an institution's teachers, an enterprise's trainers), who answer."""
    provider = resource.provider
    if provider is None or provider.kind == OrgKind.union:
        return []
    return list(session.scalars(select(Membership.user_id).where(
        Membership.organisation_id == provider.id, Membership.role == STAFF_ROLE[provider.kind]).distinct()))


def ask(session: Session, user: Any, lesson: Lesson, body: Any, *, private: bool = False) -> Question:
    """An enrolled learner asks; the teachers are told in this transaction."""
    text = _body(body)
    if enrolment_of(session, user.id, lesson.resource_id) is None:
        raise NotFound(_("请先报名学习这门课程。"), code="not_enrolled")
    throttle.check(session, Question.created_at, Question.asker_id, user.id, ASK_MAX, ASK_WINDOW, utcnow(),
                   lambda m: _("提问太频繁，请%(m)d分钟后再试。", m=m), "too_many_questions")
    question = Question(lesson_id=lesson.id, resource_id=lesson.resource_id, asker_id=user.id, body=text,
                        private=bool(private))
    session.add(question)
    session.flush()
    title = _("《%(t)s》有新提问", t=lesson.resource.title)
    told = set(teachers_of(session, lesson.resource))
    if not question.private:
        told |= set(co_answerers(session, lesson.resource_id))
    for teacher in sorted(told - {user.id}):
        notifications.notify(session, teacher, QUESTION, title, f"/learning/questions/{question.id}")
    events.announce(session, events.QUESTION_ASKED, question.id, durable=False)
    return question


def may_see(user: Any, question: Question) -> bool:
    """Only on a resource the person may see: a withdrawn course's questions showed its new draft title to anyone."""
    if not question.resource.is_published and not can(user, "resource.view", question.resource) \
            and question.asker_id != getattr(user, "id", None):
        return False
    teacher = can(user, "qa.answer", question.resource) or can(user, "qa.moderate", question.resource)
    if question.hidden and not teacher:
        return False
    return not question.private or teacher or question.asker_id == getattr(user, "id", None)


def visible_question(session: Session, user: Any, question_id: int) -> Question:
    """The question, if `user` may see it; otherwise "not found" (a private question is never revealed)."""
    question = session.get(Question, question_id)
    if question is None or not may_see(user, question):
        raise NotFound(_("问题不存在或已被隐藏。"), code="question_not_found")
    return question


def answers_shown(user: Any, question: Question) -> list[Answer]:
    """Helpful first, then oldest; hidden answers only for those who moderate."""
    moderator = can(user, "qa.moderate", question.resource)
    shown = [a for a in question.answers if not a.hidden or moderator]
    return sorted(shown, key=lambda a: (-a.helpful, a.id))


def on_lesson(session: Session, user: Any, lesson: Lesson) -> list[Question]:
    """What this person sees on the lesson page: public questions, their own private ones (teachers: all)."""
    query = select(Question).where(Question.lesson_id == lesson.id).options(
        selectinload(Question.answers), selectinload(Question.asker)).order_by(Question.id.desc()).limit(50)
    if not (can(user, "qa.answer", lesson.resource) or can(user, "qa.moderate", lesson.resource)):
        query = query.where(Question.hidden.is_(False), or_(Question.private.is_(False), Question.asker_id == user.id))
    return list(session.scalars(query))


def answer(session: Session, user: Any, question: Question, body: Any) -> Answer:
    """A teacher of the provider (or a mentor, on a public question) answers for their organisation; the asker is
    told."""
    if can(user, "qa.answer", question.resource):
        org_id = question.resource.provider_id
    elif not question.private and user.id in (mentors := co_answerers(session, question.resource_id)):
        org_id = mentors[user.id]
    else:
        require(user, "qa.answer", question.resource)  # refused, with the policy's message
    found = Answer(question_id=question.id, author_id=user.id, org_id=org_id, body=_body(body))
    session.add(found)
    question.answered_at = question.answered_at or utcnow()
    session.flush()
    if question.asker_id != user.id:
        notifications.notify(session, question.asker_id, QUESTION,
                             _("老师回答了你的提问（%(t)s）", t=question.lesson.title),
                             f"/learning/questions/{question.id}")
    return found


def visible_answer(session: Session, user: Any, answer_id: int) -> Answer:
    found = session.get(Answer, answer_id)
    if found is None or not may_see(user, found.question) or (
            found.hidden and not can(user, "qa.moderate", found.question.resource)):
        raise NotFound(_("回答不存在或已被隐藏。"), code="answer_not_found")
    return found


def mark_helpful(session: Session, user: Any, found: Answer) -> bool:
    """Once per person; False when they had marked it already. The author cannot mark their own."""
    if found.author_id == user.id:
        raise Invalid(_("不能给自己的回答点“有帮助”。"), code="own_answer")
    try:
        with session.begin_nested():  # a double tap races; the primary key decides
            session.add(AnswerMark(answer_id=found.id, user_id=user.id))
    except IntegrityError:
        return False
    found.helpful += 1
    session.flush()
    return True


def report(session: Session, user: Any, kind: str, item: Question | Answer) -> None:
    """Once per person; staff see the count next to the item."""
    try:
        with session.begin_nested():
            session.add(QaReport(kind=kind, item_id=item.id, user_id=user.id))
    except IntegrityError:
        return
    item.reports += 1
    session.flush()


def hide(session: Session, user: Any, item: Question | Answer, hidden: bool = True) -> None:
    question = item if isinstance(item, Question) else item.question
    require(user, "qa.moderate", question.resource)
    item.hidden = hidden
    session.flush()


def unanswered(session: Session, user: Any) -> list[Question]:
    """Questions on the resources of the person's institutions and enterprises that no teacher answered yet,
    oldest first (the desk shows their age)."""
    orgs = scope.org_ids_of(user, roles=(Role.institution_staff, Role.enterprise_staff))
    if not orgs:
        return []
    return list(session.scalars(
        select(Question).join(Resource, Resource.id == Question.resource_id)
        .where(Resource.provider_id.in_(orgs), Question.answered_at.is_(None), Question.hidden.is_(False))
        .options(selectinload(Question.resource), selectinload(Question.lesson))
        .order_by(Question.created_at, Question.id).limit(200)))
