"""News pages: /news (newest first), one post with its share card and QR, the Atom feed; for union and
institution staff, writing a post, publishing and taking it down. Thin: read the form, call a service, commit
once, then drop the anonymous page cache so the home page and /news show the change at once."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app import pagecache, stores
from app.db import utcnow
from app.errors import Invalid
from app.extensions import db
from app.timefmt import beijing_today
from app.web import current_user_required as user
from catalog import covers
from programme.publicity import feed, posts
from programme.publicity.models import Post
from programme.web import failed, support_bp

HOME_COUNT = 3


@support_bp.app_context_processor
def _news() -> dict[str, Any]:
    def latest_posts() -> list[Post]:  # called by the home page only, so other pages pay nothing
        return posts.published(db.session, HOME_COUNT)

    def post_photo(post: Post, width: int = covers.WIDTHS[-1], external: bool = False) -> str:
        return url_for("catalog.cover", name=covers.file_name(post.photo_key, width), _external=external) \
            if post.photo_key else ""

    return {"latest_posts": latest_posts, "post_photo": post_photo, "post_kinds": posts.KIND_LABELS}


@support_bp.get("/news")
def news_list() -> str:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    items = posts.published(db.session, posts.PAGE_SIZE, (page - 1) * posts.PAGE_SIZE)
    more = posts.published_count(db.session) > page * posts.PAGE_SIZE
    return render_template("publicity/list.html", items=items, page=page, more=more)


@support_bp.get("/news/<int:post_id>")
def news_post(post_id: int) -> str:
    return render_template("publicity/post.html", post=posts.get_public(db.session, post_id))


@support_bp.get("/news/feed.xml")
def news_feed() -> Response:
    body = feed.atom(posts.published(db.session, 50), url_for(".news_feed", _external=True),
                     url_for(".news_list", _external=True))
    return Response(body, content_type="application/atom+xml; charset=utf-8")


# -- staff -----------------------------------------------------------------------------------------------
def _files() -> Any:
    return stores.area(current_app.config, "covers")


def _draft() -> posts.Draft:
    try:
        consent_on = date.fromisoformat((request.form.get("consent_on") or "").strip())
    except ValueError:
        consent_on = None
    upload = request.files.get("photo")
    return posts.Draft(kind=request.form.get("kind", ""), title=request.form.get("title", ""),
                       summary=request.form.get("summary", ""), body=request.form.get("body", ""),
                       photo=upload.read() if upload else b"", remove_photo=bool(request.form.get("remove_photo")),
                       consent_subject=request.form.get("consent_subject", ""),
                       consent_given_by=request.form.get("consent_given_by", ""), consent_on=consent_on)


@support_bp.get("/news/manage")
@login_required
def news_manage() -> ResponseReturnValue:
    me = user()
    if not posts.writable_orgs(me):
        abort(403)
    return render_template("publicity/manage.html", items=posts.for_staff(db.session, me))


@support_bp.route("/news/manage/new", methods=["GET", "POST"])
@support_bp.route("/news/manage/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def news_edit(post_id: int | None = None) -> ResponseReturnValue:
    me = user()
    orgs = posts.writable_orgs(me)
    post = posts.get_for_staff(db.session, me, post_id) if post_id else None
    if post is None and not orgs:
        abort(403)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        org = post.org if post else next((o for o in orgs if o.code == request.form.get("org")), orgs[0])
        try:
            saved, old = posts.save(db.session, me, org, _draft(), _files(), beijing_today(), post)
        except Invalid as err:
            errors, status = err.fields, failed(err, inline=True)
        else:
            db.session.commit()
            posts.remove_photo_files(_files(), old)
            pagecache.clear()
            flash(_("已保存。"), "success")
            return redirect(url_for(".news_edit", post_id=saved.id))
    return render_template("publicity/edit.html", post=post, orgs=orgs, errors=errors, form=request.form,
                           today=beijing_today()), status


@support_bp.post("/news/manage/<int:post_id>/publish")
@login_required
def news_publish(post_id: int) -> ResponseReturnValue:
    post = posts.get_for_staff(db.session, user(), post_id)
    old = None
    if request.form.get("action") == "unpublish":
        old = posts.unpublish(db.session, user(), post, _files())
        message = _("已撤下，公众不再能看到这篇文章。")
    else:
        posts.publish(db.session, user(), post, utcnow())
        message = _("已发布，首页和新闻列表中可以看到。")
    db.session.commit()
    posts.remove_photo_files(_files(), old)  # after commit: a rolled-back take-down still has its photo
    pagecache.clear()  # the home page and /news are kept for anonymous visitors: show the change now
    flash(message, "success")
    return redirect(url_for(".news_manage"))
