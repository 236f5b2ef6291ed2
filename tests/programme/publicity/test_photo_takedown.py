"""A 先进典型 story shows a real worker's photo, kept only with their consent on record. Taking the story down
(撤下) says "公众不再能看到这篇文章", yet the photo stayed public at its /catalog/covers/ URL, which the page's share
card (og:image, an absolute URL) had put into every chat it was shared to, cached as immutable for a year. Now the
photo moves to a new name on take-down, so the shared URL answers 404; publishing again shows it under the new one.
A photo removed from the story (consent withdrawn) is gone at once too."""

from __future__ import annotations

import re
from datetime import date

from app.accounts import organisations
from app.extensions import db as _db
from programme.publicity import posts
from programme.publicity.models import Post
from tests import factories
from tests.conftest import post_form
from tests.programme.publicity.test_posts import TODAY, TODAY_DT, _jpeg

PHOTO = re.compile(r'/catalog/covers/[0-9a-f]+-960\.jpg')


def _status(client, url: str) -> int:
    response = client.get(url)
    response.close()
    return response.status_code


def _story(app) -> tuple[int, str]:
    with app.app_context():
        staff = factories.user("union_staff", "330106")
        post, _old = posts.save(_db.session, staff, organisations.get_by_code(_db.session, "330106"), posts.Draft(
            kind="story", title="王师傅的专科路", summary="十二年装配工", body="故事", photo=_jpeg(),
            consent_subject="王建国", consent_given_by="王建国本人", consent_on=date(2026, 12, 1)),
            app.config["DATA_DIR"], TODAY)
        posts.publish(_db.session, staff, post, TODAY_DT)
        _db.session.commit()
        return post.id, staff.phone


def _shown_photo(client, post_id: int) -> str:
    found = PHOTO.search(client.get(f"/news/{post_id}").get_data(as_text=True))
    assert found, "the published story shows its photo"
    return found.group(0)


def test_a_taken_down_story_s_photo_is_no_longer_served(app, client, auth):
    post_id, phone = _story(app)
    shared = _shown_photo(app.test_client(), post_id)
    assert _status(client, shared) == 200

    auth.login(phone)  # the worker withdrew consent: the union takes the story down through the page
    response = post_form(client, f"/news/manage/{post_id}/publish", {"action": "unpublish"}, source="/news/manage")
    assert response.status_code == 302
    anonymous = app.test_client()
    assert anonymous.get(f"/news/{post_id}").status_code == 404
    assert _status(anonymous, shared) == 404, "the taken-down story's photo is still public"
    assert _status(anonymous, shared.replace("-960.", "-480.")) == 404  # the list card's size too

    # staff still see it while editing, and publishing again shows it (under its new name)
    edit = client.get(f"/news/manage/{post_id}/edit").get_data(as_text=True)
    preview = re.search(r'/catalog/covers/[0-9a-f]+-480\.jpg', edit)
    assert preview and _status(client, preview.group(0)) == 200
    assert post_form(client, f"/news/manage/{post_id}/publish", {"action": "publish"},
                     source="/news/manage").status_code == 302
    again = _shown_photo(app.test_client(), post_id)
    assert again != shared and _status(app.test_client(), again) == 200


def test_taking_down_a_draft_or_a_post_without_photo_keeps_its_photo_key(app):
    with app.app_context():
        staff = factories.user("union_staff", "330106")
        org = organisations.get_by_code(_db.session, "330106")
        draft, _old = posts.save(_db.session, staff, org, posts.Draft(title="草稿", body="正文", photo=_jpeg()),
                                 app.config["DATA_DIR"], TODAY)
        key = draft.photo_key
        assert posts.unpublish(_db.session, staff, draft, app.config["DATA_DIR"]) is None  # never public
        assert draft.photo_key == key
        plain, _old = posts.save(_db.session, staff, org, posts.Draft(title="新闻", body="正文"),
                                 app.config["DATA_DIR"], TODAY)
        posts.publish(_db.session, staff, plain, TODAY_DT)
        assert posts.unpublish(_db.session, staff, plain, app.config["DATA_DIR"]) is None
        assert plain.photo_key is None


def test_a_photo_removed_from_a_published_story_is_gone_at_once(app, client, auth):
    post_id, phone = _story(app)
    shared = _shown_photo(app.test_client(), post_id)
    auth.login(phone)
    with app.app_context():
        post = _db.session.get(Post, post_id)
        form = {"kind": "story", "title": post.title, "summary": post.summary, "body": post.body_md,
                "remove_photo": "1", "consent_subject": "", "consent_given_by": "", "consent_on": ""}
    assert post_form(client, f"/news/manage/{post_id}/edit", form, source=f"/news/manage/{post_id}/edit",
                     ).status_code == 302
    assert client.get(f"/news/{post_id}").status_code == 200  # still published, now without the photo
    assert not PHOTO.search(app.test_client().get(f"/news/{post_id}").get_data(as_text=True))
    assert _status(app.test_client(), shared) == 404


def test_in_a_bucket_the_taken_down_photo_is_gone_too(s3_app, client, auth):
    """With MEDIA_STORAGE in a bucket the cover URL redirects to a presigned one: that answers 404 after take-down."""
    from app import stores
    from tests.s3_server import status as bucket_status

    app = s3_app
    with app.app_context():
        staff = factories.user("union_staff", "330106")
        post, _old = posts.save(_db.session, staff, organisations.get_by_code(_db.session, "330106"), posts.Draft(
            kind="story", title="王师傅", body="故事", photo=_jpeg(), consent_subject="王建国",
            consent_given_by="王建国本人", consent_on=date(2026, 12, 1)), stores.area(app.config, "covers"), TODAY)
        posts.publish(_db.session, staff, post, TODAY_DT)
        _db.session.commit()
        post_id, phone = post.id, staff.phone
    shared = _shown_photo(app.test_client(), post_id)
    before = app.test_client().get(shared)
    assert before.status_code == 302 and bucket_status(before.headers["Location"]) == 200
    auth.login(phone)
    assert post_form(client, f"/news/manage/{post_id}/publish", {"action": "unpublish"},
                     source="/news/manage").status_code == 302
    after = app.test_client().get(shared)
    assert after.status_code == 404 or bucket_status(after.headers["Location"]) == 404
