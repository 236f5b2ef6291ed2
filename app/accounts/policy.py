"""Every authorization decision, in one place.

`can(user, action, target)` answers yes or no; services call `require(...)`, which raises
`Forbidden`. Conflicts of interest (reviewing one's own work, appointing oneself) are refused before any
rule, for site admins too. Rules read only the user's memberships and the target's organisation, never the
request, so the same answer holds in views, the API, the CLI and jobs. Union staff act on their
own organisation and everything below it; institution and enterprise staff on their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l

from app.accounts.models import Organisation, OrgKind, OrgLevel, Role, User
from app.errors import Forbidden

Rule = Callable[[User, Any], bool]


def orgs_for(user: User, role: Role) -> list[Organisation]:
    return [m.organisation for m in user.memberships if m.role == role and m.organisation is not None]


def is_admin(user: User) -> bool:
    return any(m.role == Role.admin for m in user.memberships)


def _staff_over(user: User, role: Role, org: Organisation | None) -> bool:
    """The user holds `role` in `org` or, for unions, in any organisation above it."""
    if org is None:
        return False
    if role == Role.union_staff:
        return any(org.is_within(own) for own in orgs_for(user, role))
    return any(org.id == own.id for own in orgs_for(user, role))


def _union_over(user: User, org: Organisation | None) -> bool:
    """Staff of a union at or above `org`. Departments' staff hold union_staff too (STAFF_ROLE), in their
    department, which is no union: counted as one, a department clerk created a union and appointed its staff."""
    if org is None:
        return False
    return any(org.is_within(own) for own in orgs_for(user, Role.union_staff) if own.kind == OrgKind.union)


def _manage_org(user: User, org: Organisation) -> bool:
    """Create or edit organisations below `org` (the parent): admins anywhere, unions in their subtree."""
    return org.level != OrgLevel.township and _union_over(user, org)


class Grant(NamedTuple):
    """The target of "user.grant_role": a role in an organisation, for a person (None when only asking whether
    the actor may appoint anyone there, e.g. to show the form)."""

    org: Organisation | None
    role: Role
    appointee: User | None = None


# The staff role each kind of organisation holds (departments' staff hold union_staff, as org_views gives them).
STAFF_ROLE = {OrgKind.union: Role.union_staff, OrgKind.institution: Role.institution_staff,
              OrgKind.enterprise: Role.enterprise_staff, OrgKind.education_dept: Role.union_staff,
              OrgKind.hr_dept: Role.union_staff}


def org_admin_of(user: User, org: Organisation | None) -> bool:
    """The user is an administrator of `org` itself (its membership row has is_admin)."""
    return org is not None and any(m.organisation_id == org.id and m.is_admin for m in user.memberships)


def _grant_role(user: User, target: tuple[Any, ...]) -> bool:  # a Grant, or (org, role)
    """Give someone a staff role. Unions appoint union staff in their own union and the unions below; every
    other organisation's staff are appointed by that organisation's own admin (or a site admin), never by
    the unions that review its work: a union could otherwise make itself an institution's staff and approve
    its own declarations and courses. Only site admins make site admins, and nobody appoints themselves."""
    org, role, appointee = (*target, None)[:3]
    if role == Role.admin or org is None or STAFF_ROLE.get(org.kind) != role:
        return False
    if appointee is not None and appointee.id == user.id:
        return False
    if org.kind == OrgKind.union:
        return _union_over(user, org)
    return org_admin_of(user, org)


def _profile_view(user: User, profile_owner: User) -> bool:
    """A worker's own profile; the union that verifies the worker sees it too (masked in pages)."""
    if profile_owner.id == user.id:
        return True
    profile = profile_owner.profile
    return profile is not None and _union_over(user, profile.union)


def _provider_staff(user: User, org: Organisation | None) -> bool:
    """Author resources for `org`: its own institution or enterprise staff; for a union, its union staff
    (or those above it). Union staff never edit an institution's resources."""
    if org is None:
        return False
    if org.kind == OrgKind.union:
        return _union_over(user, org)
    role = {OrgKind.institution: Role.institution_staff, OrgKind.enterprise: Role.enterprise_staff}.get(org.kind)
    return role is not None and _staff_over(user, role, org)


def _author_staff(user: User, resource: Any) -> bool:
    """Edit a resource (every path into editing asks this): its provider's staff and each accepted co-author's
    (校企合作); an invitation not yet accepted, or a removed co-author, gives nothing."""
    return _provider_staff(user, resource.provider) or (_provides_anything(user) and any(
        row.accepted_at is not None and _provider_staff(user, row.org) for row in resource.coauthors))


def _resource_view(user: User, resource: Any) -> bool:
    """Unpublished resources: the provider's staff, its co-authors (invited too) and the unions reviewing them."""
    return (_provider_staff(user, resource.provider) or _union_over(user, resource.provider)
            or (_provides_anything(user) and any(_provider_staff(user, row.org) for row in resource.coauthors)))


def _provides_anything(user: User) -> bool:
    """Staff of an institution or enterprise: only they can be a co-author's (a worker never loads co-authors)."""
    return any(m.role in (Role.institution_staff, Role.enterprise_staff) for m in user.memberships)


def _manage_point(user: User, org: Organisation) -> bool:
    """Register a point for `org`: a city or county union its stations and points (it or the unions above); an
    enterprise or institution its teaching and exam points (its own staff)."""
    if org.kind == OrgKind.union:
        return _union_over(user, org) and org.level in (OrgLevel.city, OrgLevel.county)
    return org.kind in (OrgKind.enterprise, OrgKind.institution) and _staff_over(user, STAFF_ROLE[org.kind], org)


def _on_point_desk(user: User, point: Any) -> bool:
    """A staff account the point's union named for this open station or point (service_point_staff)."""
    return point.active and any(row.user_id == user.id for row in point.staff)


def _co_reviewer(user: User, org: Organisation | None) -> bool:
    """Staff of an education or HR department, for an institution (a provider) in its area, the union it sits under:
    they select institutions with the union (院校遴选). A review found a city's bureau selecting another city's."""
    return org is not None and any(
        m.organisation is not None and m.organisation.kind in (OrgKind.education_dept, OrgKind.hr_dept)
        and (area := m.organisation.nearest_union()) is not None and org.is_within(area) for m in user.memberships)


def _exchange_import(user: User, org: Organisation) -> bool:
    """Send results for `org`: its institution staff, or the staff of an HR department (who hold their
    membership there as union_staff, the role org_views gives non-provider bodies)."""
    if org.kind == OrgKind.institution:
        return _staff_over(user, Role.institution_staff, org)
    return org.kind == OrgKind.hr_dept and any(m.organisation_id == org.id for m in user.memberships)


RULES: dict[str, Rule] = {
    "org.view": lambda user, org: True,
    "org.manage": _manage_org,
    "org.import": lambda user, org: org.kind == OrgKind.union and _union_over(user, org),
    "user.grant_role": _grant_role,
    # the audit log of an organisation: its own admins, and the unions above it (site admins: everything)
    "audit.view": lambda user, org: org_admin_of(user, org) or _union_over(user, org),
    "profile.view": _profile_view,
    "profile.edit": lambda user, owner: owner.id == user.id,
    "admin.site": lambda user, _target: False,  # admins only, through the override below
    # catalog (issue 3): targets are the provider organisation for create, the resource otherwise
    "resource.create": _provider_staff,
    "resource.edit": _author_staff,
    "resource.submit": _author_staff,
    "resource.withdraw": _author_staff,
    # 校企合作: the provider's staff invite (target: the resource) and remove; the invited accept or leave (the row)
    "resource.coauthor_invite": lambda user, resource: _provider_staff(user, resource.provider),
    "resource.coauthor_accept": lambda user, row: _provider_staff(user, row.org),
    "resource.coauthor_remove": lambda user, row: (_provider_staff(user, row.resource.provider)
                                                   or _provider_staff(user, row.org)),
    # 双导师制: an enterprise names its own staff as workplace mentors (target: the enterprise)
    "mentor.manage": lambda user, org: org.kind == OrgKind.enterprise and _staff_over(
        user, Role.enterprise_staff, org),
    "resource.review": lambda user, resource: _union_over(user, resource.provider),
    "resource.unpublish": lambda user, resource: _union_over(user, resource.provider),
    "resource.view": _resource_view,
    # lesson questions (learning/questions.py): the provider's teachers answer; they and the unions over it hide
    "qa.answer": lambda user, resource: _provider_staff(user, resource.provider),
    # an invited co-author (not accepted) neither reads learners' private questions nor hides anyone's
    "qa.moderate": lambda user, resource: _author_staff(user, resource) or _union_over(user, resource.provider),
    # 我想学 (learning/wishes.py): an institution or enterprise answers a wish with a course of its own
    "wish.answer": lambda user, resource: resource.provider is not None and resource.provider.kind != OrgKind.union
    and _provider_staff(user, resource.provider),
    "catalog.edit": lambda user, org: org is not None and org.kind == OrgKind.union and _union_over(user, org),
    "category.manage": lambda user, _target: False,  # admins only
    # media (issue 5): upload for an organisation (the target) as its resource authors do; see an asset's
    # media before it is published (target: the asset, whose `org` is the uploading organisation)
    "media.upload": _provider_staff,
    "media.view": lambda user, asset: _provider_staff(user, asset.org) or _union_over(user, asset.org),
    # programme support (issue 7): enquiries (target: the enquiry), the policy page (the province union),
    # survey answers in full (the provider), reports (a union), data exchange (the sending organisation)
    "enquiry.view": lambda user, enquiry: enquiry.asker_id == user.id or _union_over(user, enquiry.org),
    "enquiry.answer": lambda user, enquiry: _union_over(user, enquiry.org),
    # the service network: unions' stations and points, enterprises' and institutions' teaching and exam points
    "service_point.manage": _manage_point,
    # a point's staff accounts (item 2) see its area's enquiries and answer them (target: PointEnquiry, the point
    # and the enquiry); a point's union names them, as it manages the point
    "service_point.desk": lambda user, point: _on_point_desk(user, point),
    "service_point.answer": lambda user, target: _on_point_desk(user, target.point) and target.enquiry.org.is_within(
        target.point.area),
    "policy.edit": lambda user, org: org.level == OrgLevel.province and _union_over(user, org),
    "survey.view": lambda user, provider: (_union_over(user, provider) or _provider_staff(user, provider)
                                           or _co_reviewer(user, provider)),
    "report.view": lambda user, org: org.kind == OrgKind.union and _union_over(user, org),
    "exchange.import": _exchange_import,
    # data sharing (issue 23): the departments' API tokens are made and revoked by site admins only
    "exchange.tokens": lambda user, _target: False,
    # credit bank (issue 6): a recognition request is decided by staff of the organisation that issued the
    # outcome (unions: or above it), never by the worker who asked; a ledger record is revoked by staff of
    # its issuer; pathways belong to their institution or union; the conversion table is the admins'.
    "credit.review": lambda user, rec: rec.user_id != user.id and _provider_staff(user, rec.issuer),
    "credit.revoke": lambda user, record: record.issuer is not None and (
        _provider_staff(user, record.issuer) or _union_over(user, record.issuer)),
    "pathway.manage": _provider_staff,
    "credit.conversions": lambda user, _target: False,  # admins only
    # programme (issue 7, part 1): the province plans the year; a union hands out only its own quota
    # (target: the giving union), so a county never spends a city's; reviewers select offerings; the county
    # verifies its applicants; an institution admits only to its own offerings.
    "plan.manage": lambda user, org: org.level == OrgLevel.province and _union_over(user, org),
    "quota.allocate": lambda user, org: org.level in (OrgLevel.province, OrgLevel.city) and _union_over(user, org),
    "quota.top_up": lambda user, org: org.level in (OrgLevel.city, OrgLevel.county) and _union_over(user, org),
    "offering.declare": lambda user, org: _staff_over(user, Role.institution_staff, org),
    "offering.review": lambda user, offering: _co_reviewer(user, offering.institution) or any(
        own.level in (OrgLevel.province, OrgLevel.city) and offering.institution.is_within(own)
        for own in orgs_for(user, Role.union_staff)),
    "application.verify": lambda user, application: _union_over(user, application.county),
    "application.admit": lambda user, application: _staff_over(user, Role.institution_staff,
                                                               application.offering.institution),
    "subsidy.claim": lambda user, enrolment: enrolment.user_id == user.id or _staff_over(
        user, Role.institution_staff, enrolment.application.offering.institution),
    "subsidy.verify": lambda user, claim: _union_over(user, claim.enrolment.application.county),
    "subsidy.pay": lambda user, county: _union_over(user, county),
    "notice.publish": lambda user, org: org.kind == OrgKind.union and _union_over(user, org),
    # evidence files on a claim: the claimant, the institution and the unions that verify it (target: the claim);
    # objections to a notice are resolved by the publishing union or those above it (target: the objection)
    "subsidy.evidence": lambda user, claim: (
        claim.enrolment.user_id == user.id
        or _staff_over(user, Role.institution_staff, claim.enrolment.application.offering.institution)
        or _union_over(user, claim.enrolment.application.county)),
    "notice.resolve": lambda user, objection: _union_over(user, objection.notice.org),
    # learning (issue 17): learners whose heartbeats were refused, for the staff of the organisation running
    # the course (target: the resource's provider)
    "progress.review": _provider_staff,
    # account continuity (issue 18): a worker whose old number is gone moves the account to a new one after
    # union staff of the worker's area checked the ID card (target: the worker); merges are the admins'
    # a staff or admin account's number is moved by a site admin only: a union's staff could otherwise move an
    # admin's account to a SIM they hold (they file the request themselves) and reset its password
    "account.verify_phone": lambda user, worker: worker.profile is not None and not worker.memberships and _union_over(
        user, worker.profile.union),
    "account.merge": lambda user, _target: False,  # admins only
    # course analytics (issue 22): one resource's figures for its provider's staff and the unions over it
    # (target: the resource); a union's roll-up over its catalog and area for its own staff (target: the union)
    "analytics.view": _resource_view,
    "analytics.union": lambda user, org: org.kind == OrgKind.union and _union_over(user, org),
    # performance (绩效评估): a union above sets a unit's targets and sends it 督办; only the unit itself answers
    "performance.manage": lambda user, org: org.kind == OrgKind.union and _union_over(user, org.parent),
    "performance.answer": lambda user, notice: any(o.id == notice.to_org_id for o in orgs_for(user, Role.union_staff)),
    # publicity (issue 23): news and stories of a union (its staff or those above) or an institution (its own
    # staff), written, published and taken down by them (target: the organisation)
    "post.write": lambda user, org: org.kind in (OrgKind.union, OrgKind.institution) and _staff_over(
        user, STAFF_ROLE[org.kind], org),
    # enterprises (issue 23): its own staff confirm workers' links, nominate and enrol them and set its subsidy;
    # they see learning data only of workers who consented (the service filters; target: the enterprise)
    "enterprise.manage": lambda user, org: org.kind == OrgKind.enterprise and _staff_over(
        user, Role.enterprise_staff, org),
    "enterprise.progress": lambda user, org: org.kind == OrgKind.enterprise and _staff_over(
        user, Role.enterprise_staff, org),
}


def _member_of(user: User, org: Organisation | None) -> bool:
    return org is not None and any(m.organisation_id == org.id for m in user.memberships)


def _colleague_of(user: User, other: User | None) -> bool:
    """Both hold a membership in one organisation (the site admin role sits in none): desk neighbours do not decide
    each other's claims, as subsidy.verify keeps a claimant's institution off their claim."""
    own = {m.organisation_id for m in user.memberships if m.organisation_id is not None}
    return other is not None and bool(own) and any(m.organisation_id in own for m in other.memberships)


def _appointed_by(user: User, applicant: User | None, issuer: Organisation | None) -> bool:
    """The applicant is union staff at or above the issuer (its reviewers are theirs to appoint): only staff of a union
    strictly above every such union of theirs decide, or a site admin. A review found a city clerk's own request
    approved by a second account they had made staff of the county named as its issuer."""
    if applicant is None or issuer is None or is_admin(user):
        return False
    tops = [own for own in orgs_for(applicant, Role.union_staff) if own.kind == OrgKind.union and issuer.is_within(own)]
    mine = [own for own in orgs_for(user, Role.union_staff) if own.kind == OrgKind.union]
    return not all(any(top.is_within(over) and top.id != over.id for over in mine) for top in tops)


def _own_resource(user: User, resource: Any) -> bool:
    """Made, imported, edited or submitted by this person, or provided by an institution or enterprise they work for
    (a union's resources are reviewed within the union, by someone other than their author). Submitting counts
    whatever roles were held then: a co-author's staff who also held a union role submitted, left the co-authors
    and selected their own work."""
    own = {m.organisation_id for m in user.memberships}  # a worker has none: no co-authors to load, the answer is no
    if any(step.actor_id == user.id and step.action in ("create", "import", "edit", "submit")
           for step in getattr(resource, "transitions", ())):
        return True
    return getattr(resource, "created_by_id", None) == user.id or bool(own) and (
        (resource.provider is not None and resource.provider.kind != OrgKind.union and resource.provider.id in own)
        or any(row.org_id in own for row in getattr(resource, "coauthors", ())))


# Conflicts of interest, checked before every other rule and for site admins too (only the operator at the
# command line is exempt): nobody changes their own roles, and nobody reviews or decides on their own work,
# whatever roles they have come to hold.
CONFLICTS: dict[str, Rule] = {
    "user.grant_role": lambda user, grant: (*grant, None)[2] is not None and grant[2].id == user.id,
    "resource.review": _own_resource,
    "offering.review": lambda user, offering: _member_of(user, offering.institution),
    # a staff member's own request goes to reviewers outside their organisations (another union above, a site admin)
    "credit.review": lambda user, rec: rec.user_id == user.id or _colleague_of(user, rec.user) or _appointed_by(
        user, rec.user, rec.issuer),
    "application.verify": lambda user, application: application.user_id == user.id or _colleague_of(
        user, application.user),
    # admit, enrol and graduate (all three ask application.admit): an institution clerk's own place is decided by a
    # site admin, not the desk neighbours who would also make the graduation record their subsidy rests on
    "application.admit": lambda user, application: application.user_id == user.id or _colleague_of(
        user, application.user),
    "account.verify_phone": lambda user, worker: worker.id == user.id,
    "account.merge": lambda user, accounts: any(a.id == user.id for a in accounts),
    "subsidy.verify": lambda user, claim: claim.enrolment.user_id == user.id or _member_of(
        user, claim.enrolment.application.offering.institution) or _colleague_of(user, claim.enrolment.user),
}


class _System:
    """The operator at the command line (`qiuxue ...`): whoever holds the shell holds the data."""

    is_authenticated = True
    is_active = True
    id = None

    def __repr__(self) -> str:
        return "<system>"


SYSTEM: Any = _System()


def can(user: User | None, action: str, target: Any = None) -> bool:
    rule = RULES[action]  # KeyError for an unknown action: a typo must never grant access
    if user is SYSTEM:
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return action == "org.view"
    conflict = CONFLICTS.get(action)
    if conflict is not None and target is not None and conflict(user, target):
        return False
    if is_admin(user) and action != "profile.edit":
        return True
    return bool(rule(user, target))


def conflicted(user: Any, action: str, target: Any) -> bool:
    """The user is refused `action` on `target` because it is their own (CONFLICTS), whatever their roles: lets a
    page say why (bulk actions name each refused item with its reason)."""
    if user is SYSTEM or user is None or not getattr(user, "is_authenticated", False):
        return False
    conflict = CONFLICTS.get(action)
    return conflict is not None and target is not None and bool(conflict(user, target))


def require(user: User | None, action: str, target: Any = None) -> None:
    if not can(user, action, target):
        raise Forbidden(str(_l("您没有权限进行此操作。")), code="forbidden")
