"""Satisfaction surveys (满意度测评) and teaching quality: workers and employers rate an offering or a
resource once each (1-5, optional teaching score and comment). Reviewers (the unions over the provider,
and the provider itself) read every answer with masked names; everyone sees the aggregates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Integer, Select, func, or_, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import SQLCoreOperations

from app.accounts import scope
from app.accounts.models import Organisation, OrgKind, Role, User
from app.accounts.policy import orgs_for, require
from app.db import hold_row
from app.errors import Conflict, Invalid, NotFound
from app.sanitize import clean_text
from catalog.models import Resource, ResourceStatus
from learning import ratings
from learning.analytics import curves
from learning.models import Enrolment, LessonProgress
from learning.qa_models import CourseRating
from programme.admissions.models import Application, AppStatus, Offering, OfferingStatus
from programme.enterprises import links
from programme.voice.models import RespondentKind, SurveyResponse, SurveyTarget

COMMENT_MAX = 500


@dataclass
class Target:
    kind: SurveyTarget
    id: int
    title: str
    provider: Organisation


@dataclass
class Summary:
    count: int = 0
    satisfaction: float | None = None  # mean, 1..5
    teaching: float | None = None
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    withheld: bool = False  # fewer people than the floor answered: nothing above is published


def _offering(session: Session, target_id: int) -> Target | None:
    offering = session.get(Offering, target_id)
    if offering is None or offering.status != OfferingStatus.selected:
        return None
    return Target(SurveyTarget.offering, target_id, offering.major, offering.institution)


def target(session: Session, kind: str, target_id: int) -> Target:
    """What is being rated, with its provider; only published resources and known offerings."""
    found: Target | None = None
    if kind == SurveyTarget.resource:
        resource = session.get(Resource, target_id)
        if resource is not None and resource.status == ResourceStatus.published:
            found = Target(SurveyTarget.resource, target_id, resource.title, resource.provider)
    elif kind == SurveyTarget.offering:
        found = _offering(session, target_id)
    if found is None or found.provider is None:
        raise NotFound(_("没有找到要评价的项目。"))
    return found


def is_employer(user: User) -> bool:
    """The user works for an enterprise, so may answer for it."""
    return bool(scope.orgs_of(user, kinds=(OrgKind.enterprise,)))


def _employer(user: User) -> Organisation:
    enterprises = [o for o in orgs_for(user, Role.enterprise_staff) if o.kind == OrgKind.enterprise]
    if not enterprises:
        raise Invalid(_("只有企业工作人员可以代表企业评价。"), fields={"as_employer": _("您不是企业工作人员。")})
    return enterprises[0]


def _score(value: Any, name: str, errors: dict[str, str], *, required: bool) -> int | None:
    if value in (None, "") and not required:
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        errors[name] = _("请选择1到5分。")
        return None
    return score


def respond(session: Session, respondent: User, found: Target, *, satisfaction: Any, teaching: Any = None,
            comment: str = "", as_employer: bool = False) -> SurveyResponse:
    """Store one answer; a second answer by the same person about the same target is refused."""
    errors: dict[str, str] = {}
    score = _score(satisfaction, "satisfaction", errors, required=True)
    teach = _score(teaching, "teaching", errors, required=False)
    comment = clean_text(comment)
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _("意见最多%(n)d字。", n=COMMENT_MAX)
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    ratings.refuse_own_provider(respondent, _answerable(session, found))
    employer = _employer(respondent) if as_employer else None
    if employer is None and not took_part(session, respondent, found):
        raise Invalid(_("学习过这门课程（或被录取到这个项目）后才能评价。"), code="not_a_participant")
    if employer is not None and not workers_took_part(session, employer, found):
        raise Invalid(_(
            "本企业已确认并授权查看学习情况的职工中还没有人学过这门课程（或被录取到这个项目），暂不能代表企业评价。"),
            code="no_worker_attended")
    if existing(session, respondent, found) is not None:
        raise Conflict(_("您已经评价过了，每人对每个项目只能评价一次。"), code="already_answered")
    if employer is not None:  # one voice per employer, not per staff account its own admin appoints (five accounts
        # had cast five employer votes); the enterprise's row held first, or two staff answering at once both read
        # "not answered yet" and both insert
        hold_row(session, Organisation, employer.id)
        if _employer_answered(session, employer, found):
            raise Conflict(_("本企业已经评价过这个项目，每个企业只能评价一次。"), code="employer_answered")
    answer = SurveyResponse(
        respondent_id=respondent.id, respondent_kind=RespondentKind.employer if employer else RespondentKind.worker,
        employer_id=employer.id if employer else None, target_kind=found.kind, target_id=found.id,
        provider_id=found.provider.id, satisfaction=score, teaching=teach, comment=comment)
    try:
        with session.begin_nested():  # a double click races the check above; the unique constraint decides
            session.add(answer)
    except IntegrityError:
        raise Conflict(_("您已经评价过了，每人对每个项目只能评价一次。"), code="already_answered") from None
    return answer


def _answerable(session: Session, found: Target) -> set[int]:
    """The organisations whose staff may not answer about `found`: its provider, and a resource's co-authors."""
    resource = session.get(Resource, found.id) if found.kind == SurveyTarget.resource else None
    return {found.provider.id} | (ratings.author_ids(resource) if resource is not None else set())


def _employer_answered(session: Session, employer: Organisation, found: Target) -> bool:
    return session.scalar(select(SurveyResponse.id).where(
        SurveyResponse.employer_id == employer.id, SurveyResponse.target_kind == found.kind,
        SurveyResponse.target_id == found.id).limit(1)) is not None


ADMITTED = (AppStatus.admitted, AppStatus.enrolled)  # an offering's participants: a mere application is not one


def took_part(session: Session, user: User, found: Target) -> bool:
    """Workers rate what they took: study recorded on the resource, an admission to the offering."""
    return bool(session.scalar(select(_participated([user.id], found))))


def workers_took_part(session: Session, employer: Organisation, found: Target) -> bool:
    """An enterprise rates teaching its own workers received (建立由农民工和用人单位参与的教学质量评价机制): one of the
    workers it confirmed (programme/enterprises/links.py) studied the resource, or was admitted to the offering.
    Enrolled is not enough: the enterprise enrols its workers itself, in one batch, without anyone studying. Only
    workers who consent to share their progress count, or the vote's yes/no tells what a worker who refused studied."""
    consenting = links.consenting_ids(employer)
    return bool(session.scalar(select(_participated(consenting, found))))


def _participated(users: Select[Any] | list[int], found: Target) -> ColumnElement[bool]:
    if found.kind == SurveyTarget.resource:
        return _studied(users, found.id)
    return select(Application.id).where(Application.offering_id == found.id, Application.user_id.in_(users),
                                        Application.status.in_(ADMITTED)).exists()


def _studied(users: Select[Any] | list[int], resource_id: int | SQLCoreOperations[int]) -> ColumnElement[bool]:
    """One of `users` studied the resource: a second of it watched or read, a lesson completed, or the course
    finished. An enrolment is one tap: with it alone, learners who had watched nothing ranked a course in public,
    where the one-tap rating (learning/ratings.py) waits until the course is finished."""
    progress = select(LessonProgress.id).where(
        LessonProgress.resource_id == resource_id, LessonProgress.user_id.in_(users),
        or_(LessonProgress.covered_s > 0, LessonProgress.completed_at.is_not(None))).exists()
    taken = aliased(Enrolment)  # `rateable` asks beside the learner's own enrolments: not correlated with them
    finished = select(taken.id).where(taken.resource_id == resource_id, taken.user_id.in_(users),
                                      taken.completed_at.is_not(None)).exists()
    return or_(progress, finished)


@dataclass
class Rateable:
    kind: SurveyTarget
    id: int
    title: str
    provider: str
    answered: bool


def rateable(session: Session, user: User) -> list[Rateable]:
    """What this worker took (courses studied, offerings admitted to), each with whether it is rated yet."""
    done = {(kind, id_) for kind, id_ in session.execute(select(SurveyResponse.target_kind, SurveyResponse.target_id)
                                                         .where(SurveyResponse.respondent_id == user.id))}
    offerings = session.scalars(select(Offering).join(Application, Application.offering_id == Offering.id).where(
        Application.user_id == user.id, Application.status.in_(ADMITTED), Offering.status == OfferingStatus.selected)
        .distinct())
    resources = session.scalars(select(Resource).join(Enrolment, Enrolment.resource_id == Resource.id).where(
        Enrolment.user_id == user.id, Resource.status == ResourceStatus.published, _studied([user.id], Resource.id))
        .order_by(Enrolment.enrolled_at.desc()).limit(100))
    items = [(SurveyTarget.offering, o.id, o.major, o.institution.name) for o in offerings]
    items += [(SurveyTarget.resource, r.id, r.title, r.provider.name) for r in resources]
    return [Rateable(kind, id_, title, provider, (kind, id_) in done) for kind, id_, title, provider in items]


def existing(session: Session, respondent: User, found: Target) -> SurveyResponse | None:
    return session.scalar(select(SurveyResponse).where(
        SurveyResponse.respondent_id == respondent.id, SurveyResponse.target_kind == found.kind,
        SurveyResponse.target_id == found.id))


def summary(session: Session, found: Target) -> Summary:
    """Count, means and the 1..5 distribution of one target's answers."""
    same = (SurveyResponse.target_kind == found.kind, SurveyResponse.target_id == found.id)
    result = Summary()
    for score, count in session.execute(select(SurveyResponse.satisfaction, func.count()).where(*same)
                                        .group_by(SurveyResponse.satisfaction)):
        result.distribution[score] = count
        result.count += count
    if result.count:
        result.satisfaction = sum(s * n for s, n in result.distribution.items()) / result.count
        teaching = session.scalar(select(func.avg(SurveyResponse.teaching)).where(*same))
        result.teaching = float(teaching) if teaching is not None else None
    return result


def published_summary(session: Session, found: Target, floor: int) -> Summary:
    """The summary the public page prints: withheld whole below the privacy floor (the floor of course analytics
    and the quality report, learning/analytics/curves.py), the teaching mean alone when fewer gave one; a page
    open to anyone had printed one person's score that the quality report withholds."""
    result = summary(session, found)
    if result.count and not curves.shown(result.count, floor):
        return Summary(withheld=True)
    teachers = session.scalar(select(func.count()).where(
        SurveyResponse.target_kind == found.kind, SurveyResponse.target_id == found.id,
        SurveyResponse.teaching.is_not(None))) or 0
    if not curves.shown(teachers, floor):
        result.teaching = None
    return result


@dataclass
class Quality:
    provider: Organisation
    answers: int
    satisfaction: float
    teaching: float | None
    employer_answers: int
    withheld: bool = False  # fewer people than the floor: listed after the ranking, without figures


def teaching_quality(session: Session) -> list[Quality]:
    """Per provider: how many answers, mean satisfaction and teaching score, how many came from employers;
    best first. Learners' one-tap course ratings (learning/ratings.py) count as satisfaction answers, except a
    rating by someone who also answered the survey about the same course (counted once, as the survey answer).
    Unfloored (staff figures and tests); the public page prints `published_quality`."""
    employer = func.sum(func.cast(SurveyResponse.respondent_kind == RespondentKind.employer, Integer()))
    rows = session.execute(
        select(SurveyResponse.provider_id, func.count(), func.avg(SurveyResponse.satisfaction),
               func.avg(SurveyResponse.teaching), employer)
        .group_by(SurveyResponse.provider_id)).all()
    stats = {pid: (int(n), float(sat), float(teach) if teach is not None else None, int(emp or 0))
             for pid, n, sat, teach, emp in rows}
    for pid, n, stars in _ratings(session):
        count, sat, teach, emp = stats.get(pid, (0, 0.0, None, 0))
        stats[pid] = (count + int(n), (sat * count + float(stars) * int(n)) / (count + int(n)), teach, emp)
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(list(stats))))}
    result = [Quality(orgs[pid], n, sat, teach, emp) for pid, (n, sat, teach, emp) in stats.items()]
    return sorted(result, key=lambda q: (-(q.teaching or q.satisfaction), -q.answers, q.provider.code))


def published_quality(session: Session, floor: int) -> list[Quality]:
    """`teaching_quality` as the public page prints it: a provider fewer people than the floor answered about is
    left out of the ranking, listed after it with no figure; a teaching mean from fewer people is not shown."""
    people = _people(session)
    teachers = dict(session.execute(
        select(SurveyResponse.provider_id, func.count(SurveyResponse.respondent_id.distinct()))
        .where(SurveyResponse.teaching.is_not(None)).group_by(SurveyResponse.provider_id)).all())
    ranked, withheld = [], []
    for row in teaching_quality(session):
        if not curves.shown(people.get(row.provider.id, 0), floor):
            withheld.append(Quality(row.provider, 0, 0.0, None, 0, withheld=True))
            continue
        if not curves.shown(teachers.get(row.provider.id, 0), floor):
            row.teaching = None
        ranked.append(row)
    ranked.sort(key=lambda q: (-(q.teaching or q.satisfaction), -q.answers, q.provider.code))
    return ranked + sorted(withheld, key=lambda q: q.provider.code)


def _people(session: Session) -> dict[int, int]:
    """Per provider: the distinct people behind its answers, survey answers and course ratings alike."""
    rated = (select(Resource.provider_id.label("provider"), CourseRating.user_id.label("person"))
             .join(Resource, Resource.id == CourseRating.resource_id).where(Resource.provider_id.is_not(None)))
    answered = select(SurveyResponse.provider_id.label("provider"), SurveyResponse.respondent_id.label("person"))
    both = union(answered, rated).subquery()
    return {int(p): int(n) for p, n in session.execute(
        select(both.c.provider, func.count(both.c.person.distinct())).group_by(both.c.provider))}


def _ratings(session: Session) -> list[Any]:
    """Per provider: the number and mean stars of course ratings not already counted as a survey answer."""
    surveyed = select(SurveyResponse.id).where(
        SurveyResponse.respondent_id == CourseRating.user_id, SurveyResponse.target_kind == SurveyTarget.resource,
        SurveyResponse.target_id == CourseRating.resource_id).exists()
    return list(session.execute(
        select(Resource.provider_id, func.count(), func.avg(CourseRating.stars))
        .join(Resource, Resource.id == CourseRating.resource_id).where(~surveyed, Resource.provider_id.is_not(None))
        .group_by(Resource.provider_id)).all())


def answers_for(session: Session, actor: Any, provider: Organisation, *, limit: int = 200) -> list[SurveyResponse]:
    """Every answer about one provider's offerings and resources, newest first, for its reviewers."""
    require(actor, "survey.view", provider)
    return list(session.scalars(select(SurveyResponse).where(SurveyResponse.provider_id == provider.id)
                                .order_by(SurveyResponse.created_at.desc(), SurveyResponse.id.desc()).limit(limit)))
