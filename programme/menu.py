"""What the programme adds to every page's templates: the unread mark of enquiries, and the links on /me to the
programme's pages the user has work on (they span voice, recruitment, reporting and exchange, so they live here
rather than in one of them). Both are functions the templates call, so other pages pay nothing."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from app.accounts import scope
from app.extensions import db
from app.web import current_user_or_none
from programme.exchange import imports as exchange
from programme.voice import enquiries, objections, point_desk
from programme.web import support_bp


@support_bp.app_context_processor
def _badges() -> dict[str, Any]:
    def enquiry_unread() -> int:
        user = current_user_or_none()
        return enquiries.unread_count(db.session, user) if user is not None else 0

    def support_links() -> list[tuple[str, str]]:
        """The staff pages of this blueprint the user has work on, for the /me menu."""
        user = current_user_or_none()
        if user is None:
            return []
        roles = {r.value for r in scope.roles_of(user)}
        links = [(url_for("programme_support.survey_mine"), _("评价课程")),
                 (url_for("programme_support.policy"), _("政策与常见问题"))]
        if news := objections.unread_count(db.session, user):  # a union answered one of the user's objections
            links.insert(0, (url_for("programme.my_objections"), _("我的公示异议（%(n)d条新回复）", n=news)))
        if roles & {"union_staff", "admin"}:
            links += [(url_for("programme_support.enquiry_inbox"), _("咨询回复")),
                      (url_for("programme_support.qr_list"), _("招募二维码")),
                      (url_for("programme_support.reports_home"), _("统计报表")),
                      (url_for("programme_staff.funds_home"), _("经费台账"))]
        if roles & {"union_staff", "institution_staff"}:  # they write their organisation's news and stories
            links.append((url_for("programme_support.news_manage"), _("新闻管理")))
        if point_desk.points_of(db.session, user):  # a station's or point's staff account
            links.insert(0, (url_for("programme_staff.point_desks"), _("服务站（点）咨询台")))
        if roles & {"enterprise_staff", "institution_staff"}:  # they register teaching and exam points
            links.append((url_for("programme_staff.service_points_manage"), _("教学点、考试点")))
        if "enterprise_staff" in roles:
            links.append((url_for("programme_staff.mentors_manage"), _("企业导师")))
        if roles & {"institution_staff", "admin"} or exchange.senders_for(db.session, user):
            links.append((url_for("programme_support.exchange_page"), _("数据交换")))
        if "admin" in roles:  # the departments' API tokens are the site admins' (policy "exchange.tokens")
            links.append((url_for("programme_support.api_tokens"), _("部门数据接口令牌")))
        return links
    return {"enquiry_unread": enquiry_unread, "support_links": support_links}
