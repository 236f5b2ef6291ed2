"""Route matrix rows for performance evaluation and 督办 (issue 23, part 3), in the format of
tests/security/test_routes.py. Roles, in order: anonymous, worker, institution, enterprise, county union 330106,
city 330100, province 330000, admin. A union's dashboard ranks the units below it: its staff and those above."""

from tests.security.test_routes import row

GET = {
    "programme_support.performance_page": ("/reports/330100/performance", row(403, A=302, T=200, P=200, D=200)),
    "programme_support.performance_file": ("/reports/330100/performance.csv",
                                           row(403, A=302, T=200, P=200, D=200)),
    "programme_support.supervision_inbox": ("/supervision", row(200, A=302)),  # lists only what one may answer
    "programme_support.supervision_show": ("/supervision/{notice}", row(404, A=302, T=200, P=200, D=200)),
}
POST_PATHS = {
    "programme_support.supervision_answer": "/supervision/1",
    "programme_support.performance_target": "/reports/330000/performance/330100/target",
    "programme_support.performance_supervise": "/reports/330000/performance/330100/supervise",
}


def extra_samples(app, base):
    """A 督办 from the province to 杭州市 (330100), in the year routes_programme.py opened."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.extensions import db
    from app.timefmt import beijing_today
    from programme.admissions.models import Plan
    from programme.reporting import supervision
    from tests import factories
    from tests.programme.helpers import org

    with app.app_context():
        plan = db.session.scalar(select(Plan).where(Plan.year == beijing_today().year))
        notice = supervision.send(db.session, factories.user("union_staff", "330000"), plan, org("330100"),
                                  "招生进度落后，请说明原因。", beijing_today() + timedelta(days=7))
        db.session.commit()
        return {"notice": notice.id}
