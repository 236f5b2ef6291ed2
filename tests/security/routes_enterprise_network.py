"""Route matrix rows for issue 23's enterprise side of the network (see tests/security/test_routes.py for the
format): a point's staff accounts and their desk, the enterprise's workplace mentors, and a resource's co-authors
(校企合作). Roles, in order: anonymous, worker, institution INST-T1, enterprise ENT-T1, county union 330106, city
330100, province 330000, admin."""

from tests.security.test_routes import row

GET = {
    # {desk_point} is a point of 西湖区 (330106): its union and those above name its staff
    "programme_staff.service_point_staff": ("/programme/service-points/{desk_point}/staff",
                                            row(403, A=302, C=200, T=200, P=200, D=200)),
    # the desks of the signed-in user (none here: an empty page); a desk only for its named staff (site admins too)
    "programme_staff.point_desks": ("/programme/point-desk", row(200, A=302)),
    "programme_staff.point_queue": ("/programme/point-desk/{desk_point}", row(403, A=302, D=200)),
    "programme_staff.point_enquiry": ("/programme/point-desk/{desk_point}/enquiries/999999",
                                      row(403, A=302, D=404)),
    # an enterprise's own staff name its mentors (a site admin belongs to no enterprise)
    "programme_staff.mentors_manage": ("/programme/mentors", row(403, A=302, E=200)),
    # {draft} is INST-T1's (under 杭州市): its staff and the unions over it see who co-authors it
    "catalog.coauthors_page": ("/catalog/manage/{draft}/coauthors", row(404, A=302, I=200, T=200, P=200, D=200)),
}
CSRF_EXEMPT: dict[str, str] = {}
POST_PATHS = {
    "programme_staff.service_point_staff": "/programme/service-points/1/staff",
    "programme_staff.point_enquiry": "/programme/point-desk/1/enquiries/1",
    "catalog.coauthor_step": "/catalog/coauthors/1/accept",
}


def extra_samples(app, base):
    from app.accounts.policy import SYSTEM
    from app.extensions import db
    from programme.network import points
    from tests.programme.helpers import org

    with app.app_context():
        point = points.create(db.session, SYSTEM, org("330106"), points.PointInput(
            name="西湖区服务点（咨询台）", address="文三路1号", hours="9:00-17:00", phone="0571-2"))
        db.session.commit()
        return {"desk_point": point.id}
