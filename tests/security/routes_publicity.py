"""Route matrix rows for news and 先进典型 stories (issue 23, publicity), in the format of
tests/security/test_routes.py. Roles, in order: anonymous, worker, institution, enterprise, county union 330106,
city 330100, province 330000, admin. {post} is a published post of 西湖区 (330106): the public reads it; its
union and the unions above it (and admins) edit it; institutions write only their own."""

from tests.security.test_routes import row

GET = {
    "programme_support.news_list": ("/news", row(200)),
    "programme_support.news_post": ("/news/{post}", row(200)),
    "programme_support.news_feed": ("/news/feed.xml", row(200)),
    "main.share_qr": ("/share/qr.svg?path=/news", row(200)),
    # the staff list: union and institution staff (an admin belongs to neither and writes for none)
    "programme_support.news_manage": ("/news/manage", row(403, A=302, I=200, C=200, T=200, P=200)),
    "programme_support.news_edit": ("/news/manage/{post}/edit", row(403, A=302, C=200, T=200, P=200, D=200)),
}

POST_PATHS = {
    "programme_support.news_edit": "/news/manage/new",
    "programme_support.news_publish": "/news/manage/1/publish",
}


def extra_samples(app, base):
    from datetime import date, datetime

    from app.accounts import organisations
    from app.accounts.policy import SYSTEM
    from app.extensions import db
    from programme.publicity import posts

    with app.app_context():
        post, _old = posts.save(db.session, SYSTEM, organisations.get_by_code(db.session, "330106"),
                                posts.Draft(title="西湖区报读开始", body="正文"), app.config["DATA_DIR"],
                                date(2026, 12, 3))
        posts.publish(db.session, SYSTEM, post, datetime(2026, 12, 3, 2))
        db.session.commit()
        return {"post": post.id}
