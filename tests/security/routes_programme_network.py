"""Route matrix rows for the service network: the public list of stations and points, and the staff pages
that manage them (see tests/security/test_routes.py for the format). Roles, in order: anonymous, worker,
institution, enterprise, county union 330106, city 330100, province 330000, admin."""

from tests.security.test_routes import row

GET = {
    "programme.service_points": ("/programme/service-points", row(200)),
    "programme_staff.service_points_manage": ("/programme/service-points/manage", row(200, A=302)),  # theirs only
    # {point} is 西湖区's (330106): its county and the unions above may edit it
    "programme_staff.service_point_edit": ("/programme/service-points/{point}/edit",
                                           row(403, A=302, C=200, T=200, P=200, D=200)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS = {
    "programme_staff.service_point_edit": "/programme/service-points/1/edit",
    "programme_staff.service_point_active": "/programme/service-points/1/active",
}


def extra_samples(app, base):
    from app.accounts.policy import SYSTEM
    from app.extensions import db
    from programme.network import points
    from tests.programme.helpers import org

    with app.app_context():
        point = points.create(db.session, SYSTEM, org("330106"), points.PointInput(
            name="西湖区职工教育服务点", address="文三路100号", hours="9:00-17:00", phone="0571-1"))
        db.session.commit()
        return {"point": point.id}
