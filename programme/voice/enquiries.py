"""Enquiries (咨询回复): a worker asks, the question goes to one union (the worker's township union when they
have one on file, which handles its area's enquiries, else their county; or the level the worker picks; a
township's unanswered questions go up to the county after a deadline, see escalation.py), its staff answer,
and the worker sees an unread mark until opening the answer. Also the policy and FAQ page the province union
edits.

Asking is throttled like logging in (app/accounts/service.authenticate): rows counted per person in a
sliding window, and `TooManyRequests` with the wait once the limit is reached."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from app import audit, notifications, throttle
from app.accounts import scope
from app.accounts.models import Organisation, OrgLevel, User
from app.accounts.policy import can, is_admin, require
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.notifications.kinds import ENQUIRY
from app.pagination import offset
from app.richtext import markdown_source, render_markdown
from app.sanitize import clean_text
from programme.admissions import plans
from programme.voice.models import Enquiry, PolicyPage

SUBJECT_MAX = 100
QUESTION_MIN, QUESTION_MAX = 5, 2000
ANSWER_MAX = 4000
LEVELS = (OrgLevel.province, OrgLevel.city, OrgLevel.county)
POLICY_SLUG = "policy"
# Images from other hosts would tell them who reads the page (and break the no-other-host rule): dropped.
# render_markdown's cleaner (clean_html) has already serialised every tag with double-quoted attributes, so this
# pattern sees them all.
_EXTERNAL_IMAGE = re.compile(r'<img\b[^>]*\bsrc="(?:[a-z][a-z0-9+.-]*:)?//[^"]*"[^>]*>', re.IGNORECASE)
PAGE_SIZE = 20


def route(session: Session, asker: User, level: OrgLevel | None = None) -> Organisation:
    """The union that answers: walk up from the worker's own union to the chosen level (county when none
    is chosen, but a worker's own township union first); a worker whose union sits above that level, or who has
    none on file, reaches the nearest."""
    profile = asker.profile
    org = profile.union if profile is not None and profile.union is not None else plans.province(session)
    if level is None and org.level == OrgLevel.township:
        return org
    wanted = LEVELS.index(level or OrgLevel.county)
    order = (OrgLevel.province, OrgLevel.city, OrgLevel.county, OrgLevel.township)
    while org.parent is not None and order.index(org.level) > wanted:
        org = org.parent
    return org


def _throttle(session: Session, asker: User, max_count: int, window: timedelta, now: datetime) -> None:
    throttle.check(session, Enquiry.created_at, Enquiry.asker_id, asker.id, max_count, window, now,
                   lambda m: _("提问太频繁了，请%(m)d分钟后再试。", m=m), "enquiry_throttled")


def _check(subject: str, question: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("请填写标题。")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = _("标题最多%(n)d字。", n=SUBJECT_MAX)
    if len(question) < QUESTION_MIN:
        errors["question"] = _("请把问题写清楚（至少%(n)d个字）。", n=QUESTION_MIN)
    elif len(question) > QUESTION_MAX:
        errors["question"] = _("问题最多%(n)d字。", n=QUESTION_MAX)
    return errors


def ask(session: Session, asker: User, *, subject: str, question: str, level: str = "", max_count: int = 5,
        window: timedelta = timedelta(hours=1), now: datetime | None = None) -> Enquiry:
    """Validate, throttle, route and store a question."""
    now = now or utcnow()
    subject, question = clean_text(subject), clean_text(question)
    errors = _check(subject, question)
    chosen: OrgLevel | None = None
    if level:
        try:
            chosen = OrgLevel(level)
        except ValueError:
            errors["level"] = _("请选择省、市或县（市、区）工会。")
        else:
            if chosen not in LEVELS:
                errors["level"] = _("请选择省、市或县（市、区）工会。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    _throttle(session, asker, max_count, window, now)
    enquiry = Enquiry(asker=asker, org=route(session, asker, chosen), subject=subject, question=question,
                      created_at=now)
    session.add(enquiry)
    session.flush()
    return enquiry


def get(session: Session, actor: Any, enquiry_id: int) -> Enquiry:
    """One enquiry, for its asker and the unions over the one it went to; others are told it is not there."""
    enquiry = session.get(Enquiry, enquiry_id)
    if enquiry is None or not can(actor, "enquiry.view", enquiry):
        raise NotFound(_("没有找到这条咨询。"))
    return enquiry


def answer(session: Session, actor: Any, enquiry: Enquiry, text: str, *, seen: str | None = None,
           now: datetime | None = None) -> Enquiry:
    """Write (or correct) the answer; the asker sees it as unread until opening it. `seen` is the answer the union's
    page showed ("" for none; by default the answer as loaded): when another was written since (a point's desk, a
    colleague), Conflict asks to reload rather than replacing an answer the writer never saw, unaudited."""
    require(actor, "enquiry.answer", enquiry)
    if seen is not None and _as_sent(seen) != _as_sent(enquiry.answer):
        raise _changed()
    return write_answer(session, actor, enquiry, text, now=now)


def _changed() -> Conflict:
    return Conflict(_("这条咨询的回复刚刚有了变化，请看过最新的回复后再提交。"), code="answer_changed")


def _as_sent(text: str | None) -> str:
    """An answer as compared with the one a page sent back (browsers send its line breaks as CRLF)."""
    return clean_text(text).replace("\r\n", "\n").replace("\r", "\n")


def write_answer(session: Session, actor: Any, enquiry: Enquiry, text: str, *, now: datetime | None = None,
                 first_only: bool = False) -> Enquiry:
    """The answer itself, once the caller asked the policy (`answer` for a union; a point's desk for its staff).
    One conditional UPDATE writes it only over the answer `enquiry` was loaded with (`first_only`, a desk, which
    may not rewrite: only while there is none), so of two answers at once the second is told rather than replacing
    the first unaudited; a union's rewrite of the answer it saw keeps the earlier text in the audit log."""
    text = clean_text(text)
    if not text:
        raise Invalid(_("请填写回复内容。"), fields={"answer": _("请填写回复内容。")})
    if len(text) > ANSWER_MAX:
        raise Invalid(_("回复最多%(n)d字。", n=ANSWER_MAX), fields={"answer": _("回复最多%(n)d字。", n=ANSWER_MAX)})
    before, by_before = (None, None) if first_only else (enquiry.answer, enquiry.answered_by_id)
    values = {"answer": text, "answered_by_id": getattr(actor, "id", None), "answered_at": now or utcnow(),
              "answer_seen": False}
    unchanged = Enquiry.answer.is_(None) if before is None else Enquiry.answer == before
    done = cast(CursorResult[Any], session.execute(
        update(Enquiry).where(Enquiry.id == enquiry.id, unchanged).values(**values)
        .execution_options(synchronize_session=False))).rowcount
    session.refresh(enquiry)
    if done != 1:
        if first_only:
            raise Conflict(_("这条咨询已经有了回复，服务点不能修改；如需补充，请联系工会。"), code="already_answered")
        raise _changed()
    if before and before != text:  # a union rewrites its answer: who, and what it said before
        audit.record(session, actor, "enquiry.answer_change", "enquiry", enquiry.id, org_id=enquiry.org_id,
                     before=before, by_before=by_before)
    notifications.notify(session, enquiry.asker_id, ENQUIRY, _("你的咨询有了回复"), f"/enquiries/{enquiry.id}",
                         text[:120])
    return enquiry


def mark_seen(session: Session, user: User, enquiry: Enquiry) -> None:
    if enquiry.asker_id == user.id and not enquiry.answer_seen:
        enquiry.answer_seen = True
        session.flush()


def mine(session: Session, user: User) -> list[Enquiry]:
    return list(session.scalars(select(Enquiry).where(Enquiry.asker_id == user.id)
                                .order_by(Enquiry.created_at.desc(), Enquiry.id.desc())))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Enquiry).where(
        Enquiry.asker_id == user.id, Enquiry.answer_seen.is_(False))) or 0


def inbox(session: Session, actor: User, *, status: str = "open", page: int = 1) -> tuple[list[Enquiry], int]:
    """Questions sent to the actor's unions or any union below them, oldest unanswered first; and the total."""
    query = select(Enquiry).join(Enquiry.org)
    if not is_admin(actor):
        own_unions = scope.below_own_unions(actor)
        if own_unions is None:
            return [], 0
        query = query.where(own_unions)
    if status == "open":
        query = query.where(Enquiry.answer.is_(None)).order_by(Enquiry.created_at, Enquiry.id)
    else:
        if status == "answered":
            query = query.where(Enquiry.answer.is_not(None))
        query = query.order_by(Enquiry.created_at.desc(), Enquiry.id.desc())
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.limit(PAGE_SIZE).offset(offset(page, PAGE_SIZE))))
    return rows, total


def policy_page(session: Session) -> PolicyPage | None:
    return session.scalar(select(PolicyPage).where(PolicyPage.slug == POLICY_SLUG))


def save_policy_page(session: Session, actor: Any, *, title: str, body: str) -> PolicyPage:
    """The province union edits the page, written in Markdown (app/richtext.py) and cleaned with the catalog's
    rich-text allowlist."""
    require(actor, "policy.edit", plans.province(session))
    body = markdown_source(body)
    title, body_html = clean_text(title), _EXTERNAL_IMAGE.sub("", render_markdown(body))
    errors: dict[str, str] = {}
    if not title or len(title) > 100:
        errors["title"] = _("请填写标题（最多100字）。")
    if not body_html:
        errors["body"] = _("请填写正文。")
    elif len(body_html) > 200_000:
        errors["body"] = _("正文太长了。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    page = policy_page(session) or PolicyPage(slug=POLICY_SLUG)
    page.title, page.body_html, page.body_md = title, body_html, body
    page.updated_by_id = getattr(actor, "id", None)
    session.add(page)
    session.flush()
    return page
