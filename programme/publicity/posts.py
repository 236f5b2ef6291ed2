"""Writing, publishing and listing posts. A union's staff (or those above it) and an institution's own staff
write for that organisation; nobody else (app/accounts/policy.py "post.write"). The body is Markdown, rendered and
cleaned by app.richtext (images from other hosts dropped, as on the policy page). A story's photo shows a real
person or enterprise: it is stored only with their consent on record (who, given by whom, on which day)."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import Organisation, OrgKind, Role, User
from app.accounts.policy import orgs_for, require
from app.errors import Invalid, NotFound
from app.lookup import get_or_raise
from app.richtext import markdown_source, render_markdown
from app.storage import Storage
from app.stores import of as store_of
from app.text import clean_text
from catalog import covers
from programme.publicity.models import Post, PostKind

KIND_LABELS = {PostKind.news: _l("新闻"), PostKind.story: _l("先进典型")}
TITLE_MAX, SUMMARY_MAX, BODY_MAX, NAME_MAX = 100, 200, 20_000, 100
PAGE_SIZE = 20
_EXTERNAL_IMAGE = re.compile(r'<img\b[^>]*\bsrc="(?:[a-z][a-z0-9+.-]*:)?//[^"]*"[^>]*>', re.IGNORECASE)


@dataclass
class Draft:
    """What the form sends (plain values; the photo as bytes, empty when none was chosen)."""

    kind: str = "news"
    title: str = ""
    summary: str = ""
    body: str = ""
    photo: bytes = b""
    remove_photo: bool = False
    consent_subject: str = ""
    consent_given_by: str = ""
    consent_on: date | None = None


def writable_orgs(actor: User) -> list[Organisation]:
    """The unions and institutions whose posts the actor writes (their own memberships)."""
    own = orgs_for(actor, Role.union_staff) + orgs_for(actor, Role.institution_staff)
    return [o for o in own if o.kind in (OrgKind.union, OrgKind.institution)]


def _check(draft: Draft, has_photo: bool, today: date) -> tuple[dict[str, str], str, str]:
    errors: dict[str, str] = {}
    if draft.kind not in tuple(PostKind):
        errors["kind"] = _("请选择新闻或先进典型。")
    title, summary = clean_text(draft.title), clean_text(draft.summary)
    if not title or len(title) > TITLE_MAX:
        errors["title"] = _("请填写标题（最多%(n)d字）。", n=TITLE_MAX)
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = _("摘要最多%(n)d字。", n=SUMMARY_MAX)
    body = markdown_source(draft.body)
    html = _EXTERNAL_IMAGE.sub("", render_markdown(body))
    if not html:
        errors["body"] = _("请填写正文。")
    elif len(body) > BODY_MAX:
        errors["body"] = _("正文最多%(n)d字。", n=BODY_MAX)
    if draft.kind == PostKind.story and has_photo:  # a real person's picture: only with their consent on record
        if not clean_text(draft.consent_subject):
            errors["consent_subject"] = _("先进典型配有照片时，请填写照片中的人或企业。")
        if not clean_text(draft.consent_given_by):
            errors["consent_given_by"] = _("请填写同意发布照片的人。")
        if draft.consent_on is None or draft.consent_on > today:
            errors["consent_on"] = _("请填写取得同意的日期（不能晚于今天）。")
    for field in ("consent_subject", "consent_given_by"):
        if len(clean_text(getattr(draft, field))) > NAME_MAX:
            errors[field] = _("最多%(n)d字。", n=NAME_MAX)
    return errors, body, html


def save(session: Session, actor: Any, org: Organisation, draft: Draft, files: Storage | str, today: date,
         post: Post | None = None) -> tuple[Post, str | None]:
    """Create or edit a post (a draft until published). Returns the post and the photo key it no longer uses,
    whose files the caller removes after commit (`remove_photo_files`)."""
    require(actor, "post.write", org if post is None else post.org)
    keeps_photo = bool(post and post.photo_key and not draft.remove_photo)
    errors, body, html = _check(draft, bool(draft.photo) or keeps_photo, today)
    renditions: dict[int, bytes] = {}
    if draft.photo and not errors:
        try:
            renditions = covers.render(draft.photo)
        except Invalid as err:
            errors["photo"] = err.message
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    if post is None:
        post = Post(org_id=org.id, org=org, author_id=getattr(actor, "id", None))
        session.add(post)
    old = post.photo_key if (renditions or draft.remove_photo) else None
    if renditions:
        key = secrets.token_hex(12)
        for width, jpeg in renditions.items():
            store_of(files, "covers").put(covers.file_name(key, width), io.BytesIO(jpeg))
        post.photo_key = key
    elif draft.remove_photo:
        post.photo_key = None
    post.kind, post.title, post.summary = PostKind(draft.kind), clean_text(draft.title), clean_text(draft.summary)
    post.body_md, post.body_html = body, html
    with_consent = post.kind == PostKind.story and post.photo_key is not None
    post.consent_subject = clean_text(draft.consent_subject) or None if with_consent else None
    post.consent_given_by = clean_text(draft.consent_given_by) or None if with_consent else None
    post.consent_on = draft.consent_on if with_consent else None
    session.flush()
    return post, old


def remove_photo_files(files: Storage | str, key: str | None) -> None:
    if key:
        covers.remove_files(files, key)


def publish(session: Session, actor: Any, post: Post, now: datetime) -> None:
    require(actor, "post.write", post.org)
    post.published_at = post.published_at or now
    session.flush()


def unpublish(session: Session, actor: Any, post: Post, files: Storage | str) -> str | None:
    """Take the post down. Its photo (a story's: a real person's, kept with their consent) had a public URL that
    share cards carried away: it moves to a new name, so the old one stops answering. Returns the old key, whose
    files the caller removes after commit (`remove_photo_files`); publishing again shows the photo as before."""
    require(actor, "post.write", post.org)
    old = post.photo_key if post.is_published else None
    if old:
        post.photo_key = covers.rekey(files, old)
    post.published_at = None
    session.flush()
    return old


def get(session: Session, post_id: int) -> Post:
    return get_or_raise(session, Post, post_id, _("没有这篇文章。"))


def get_public(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None or not post.is_published:
        raise NotFound(_("没有这篇文章。"))
    return post


def get_for_staff(session: Session, actor: Any, post_id: int) -> Post:
    post = get(session, post_id)
    require(actor, "post.write", post.org)
    return post


def published(session: Session, limit: int = PAGE_SIZE, offset: int = 0) -> list[Post]:
    """Newest published first."""
    return list(session.scalars(select(Post).options(joinedload(Post.org)).where(Post.published_at.is_not(None))
                                .order_by(Post.published_at.desc(), Post.id.desc()).limit(limit).offset(offset)))


def published_count(session: Session) -> int:
    return session.scalar(select(func.count(Post.id)).where(Post.published_at.is_not(None))) or 0


def for_staff(session: Session, actor: User) -> list[Post]:
    """Posts of the organisations the actor writes for (unions: and those below), newest first."""
    orgs = writable_orgs(actor)
    if not orgs:
        return []
    below = or_(*(Organisation.path.startswith(o.path) if o.kind == OrgKind.union else Organisation.id == o.id
                  for o in orgs))
    return list(session.scalars(select(Post).join(Post.org).options(joinedload(Post.org)).where(below)
                                .order_by(Post.created_at.desc(), Post.id.desc()).limit(200)))
