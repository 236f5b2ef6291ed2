"""A department's area (辖区): the union subtree it sits under. A city's HR or education bureau answers for that
city's workers and institutions only, a province-level one for the whole province; a department's results and
reads outside it would let one city make or read another's evidence of public money. Also the rule that nobody
sends a result about themselves, nor (through the department's token, which names no sender) about one of the
department's staff."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.accounts.models import Membership, Organisation, OrgKind, WorkerProfile
from app.text import id_number_form
from programme.admissions.models import Application

DEPARTMENTS = (OrgKind.hr_dept, OrgKind.education_dept)


def area_of(org: Organisation) -> Organisation | None:
    """The union a department sits under; None for an organisation that is not a department (it has no area)."""
    return org.nearest_union() if org.kind in DEPARTMENTS else None


def outside(area: Organisation, org: Organisation | None) -> bool:
    return org is None or not org.is_within(area)


def workers_outside(session: Session, area: Organisation, id_numbers: Collection[str]) -> set[str]:
    """The ID numbers of workers placed only outside `area`, by their union and their applications' counties.
    A person the site cannot place (no account yet) is not refused here; a claim on their record is checked
    against the sender's area when it is approved (programme/money/claim_checks.py)."""
    if not id_numbers:
        return set()
    union, county = aliased(Organisation), aliased(Organisation)
    places: dict[str, list[str]] = {}
    for id_number, path in session.execute(
            select(WorkerProfile.id_number, union.path).join(union, union.id == WorkerProfile.union_id)
            .where(WorkerProfile.id_number.in_(id_numbers))).all():
        places.setdefault(id_number or "", []).append(path)
    for id_number, path in session.execute(
            select(WorkerProfile.id_number, county.path)
            .join(Application, Application.user_id == WorkerProfile.user_id)
            .join(county, county.id == Application.county_id)
            .where(WorkerProfile.id_number.in_(id_numbers))).all():
        places.setdefault(id_number or "", []).append(path)
    return {i for i, paths in places.items() if not any(p.startswith(area.path) for p in paths)}


def own_id_number(person: Any) -> str:
    """The person's own ID number in its one form (`id_number_form`; '' when they have none): a row bearing it is
    refused."""
    profile = getattr(person, "profile", None)
    return id_number_form(getattr(profile, "id_number", None) if profile is not None else None)


def staff_of(session: Session, org_id: int) -> set[int]:
    """Everyone holding a role in the organisation: for a result its department pushed (the token's system sent it,
    no person is named), any of them may have sent it."""
    return set(session.scalars(select(Membership.user_id).where(Membership.organisation_id == org_id)))


def held_by_staff(session: Session, org_id: int, id_numbers: Collection[str]) -> set[str]:
    """The ID numbers among `id_numbers` (in `id_number_form`) of the organisation's staff (`staff_of`)."""
    if not id_numbers:
        return set()
    return set(session.scalars(select(WorkerProfile.id_number).join(
        Membership, Membership.user_id == WorkerProfile.user_id).where(
        Membership.organisation_id == org_id, WorkerProfile.id_number.in_(id_numbers))))


def outside_message(area: Organisation) -> str:
    return _("该职工不在本部门辖区（%(area)s）内，请由其所在地或省级部门报送。", area=area.name)


def institution_outside_message(area: Organisation) -> str:
    return _("该院校不在本部门辖区（%(area)s）内，请由其所在地或省级部门报送。", area=area.name)


def own_message() -> str:
    return _("不能报送本人的成果记录（身份证号是您本人的），请由其他经办人员报送。")


def staff_message() -> str:
    return _("不能通过接口报送本部门工作人员的成果记录，请由本部门其他经办人员以文件导入报送。")
