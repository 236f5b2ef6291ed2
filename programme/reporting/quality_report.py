"""An institution's yearly quality report (质量报告, 对外发布): from its own figures only — applications, admissions
and enrolment records per offering of that year's plan, graduations it reported, completions of its courses,
completion certificates it issued, and what its students said of it (satisfaction and teaching quality).
Published like the yearly report (open_report.py): the same table, the same floor, the same complementing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, null, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, OrgKind
from app.errors import NotFound
from app.timefmt import year_of
from catalog.models import Resource
from credits.models import Certificate
from learning.models import Enrolment
from programme.admissions.models import Application, AppStatus, EnrolmentRecord, Offering, OfferingStatus, Plan
from programme.exchange.models import GraduationRecord
from programme.reporting.open_report import Figure, OpenReport, fill
from programme.voice.models import SurveyResponse, SurveyTarget


def _per_offering(value: Any, *where: Any, enrolled: bool = False) -> Any:
    """Rows of (offering, plan year, value) for the institution's offerings."""
    def query(org: Organisation) -> Select[Any]:
        base = select(Application.offering_id, Plan.year.label("year"), value).select_from(Application)
        if enrolled:
            base = base.join(EnrolmentRecord, EnrolmentRecord.application_id == Application.id)
        return (base.join(Offering, Offering.id == Application.offering_id).join(Plan, Plan.id == Application.plan_id)
                .where(Offering.institution_id == org.id, *where).group_by(Application.offering_id, Plan.year))
    return query


def _whole(model: Any, when: Any, value: Any, own: Callable[[Organisation], Any]) -> Any:
    """Rows of (no offering, year, value): figures of the institution as a whole; `own` picks its rows."""
    def query(org: Organisation) -> Select[Any]:
        return (select(null(), year_of(when).label("year"), value).select_from(model)
                .where(when.is_not(None), own(org)).group_by("year"))
    return query


def _answers(value: Any, *where: Any) -> Any:
    """Rows of (offering or none, year answered, sum): what its students said, per offering where it is one."""
    offering = case((SurveyResponse.target_kind == SurveyTarget.offering, SurveyResponse.target_id), else_=None)

    def query(org: Organisation) -> Select[Any]:
        return (select(offering.label("offering"), year_of(SurveyResponse.created_at).label("year"), value)
                .where(SurveyResponse.provider_id == org.id, *where).group_by("offering", "year"))
    return query


def figures() -> list[Figure]:
    people, score = _l("人"), _l("分，满分5分")
    admitted = Application.status.in_([AppStatus.admitted, AppStatus.enrolled])
    return [
        Figure("applications", _l("报读申请"), people, _per_offering(
            func.count(Application.id), Application.status != AppStatus.withdrawn), Application.user_id),
        Figure("admitted", _l("录取"), people, _per_offering(func.count(Application.id), admitted),
               Application.user_id, within="applications"),  # applied - admitted would name the refused
        Figure("enrolled", _l("注册学籍"), people, _per_offering(func.count(EnrolmentRecord.id), enrolled=True),
               Application.user_id, within="admitted"),
        Figure("graduations", _l("学历毕业"), people, _whole(
            GraduationRecord, GraduationRecord.graduated_on, func.count(GraduationRecord.id),
            lambda org: GraduationRecord.institution_id == org.id), GraduationRecord.id_number),  # never NULL
        Figure("completions", _l("课程结业"), _l("人次"), _whole(
            Enrolment, Enrolment.completed_at, func.count(Enrolment.id),
            lambda org: Enrolment.resource_id.in_(select(Resource.id).where(Resource.provider_id == org.id))),
            Enrolment.user_id),
        Figure("certificates", _l("结业证书"), people, _whole(
            Certificate, Certificate.issued_at, func.count(Certificate.id),
            lambda org: and_(Certificate.issuer_id == org.id, Certificate.revoked_at.is_(None))), Certificate.user_id),
        Figure("satisfaction", _l("满意度"), score, _answers(func.sum(SurveyResponse.satisfaction)),
               SurveyResponse.respondent_id, func.count(SurveyResponse.id)),
        Figure("teaching", _l("教学质量"), score, _answers(func.sum(SurveyResponse.teaching),
                                                       SurveyResponse.teaching.is_not(None)),
               SurveyResponse.respondent_id, func.count(SurveyResponse.id)),
    ]


def institution(session: Session, code: str) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.code == code,
                                                      Organisation.kind == OrgKind.institution))
    if found is None:
        raise NotFound(str(_l("没有找到这所院校的质量报告。")), code="quality_report_not_found")
    return found


def institutions(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(Organisation.kind == OrgKind.institution)
                                .order_by(Organisation.code)))


def build(session: Session, org: Organisation, year: int, floor: int) -> OpenReport:
    """The institution's report for `year`: a row per offering of that year's plan, and one for the rest."""
    offerings = list(session.scalars(select(Offering).join(Plan, Plan.id == Offering.plan_id).where(
        Offering.institution_id == org.id, Plan.year == year, Offering.status == OfferingStatus.selected)
        .order_by(Offering.id)))
    report = OpenReport(year, org, floor, figures(), [org, *offerings], kind="quality")
    index = {offering.id: n for n, offering in enumerate(report.regions) if n}
    return fill(session, report, lambda offering_id: index.get(offering_id, 0))
