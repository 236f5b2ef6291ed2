"""Results the departments push: the HR department's skill certificates and the education department's
graduations. A pushed result becomes the same exchange record a file would make (programme/exchange/models.py),
so a subsidy claim rests on it exactly as on an imported one (programme/money/claim_checks.py).

A department pushes only for its own area (programme/exchange/areas.py). Each push is one result, checked
against the body's schema and then by the file exchange's own rules (ID checksum, levels, dates not in the
future), every problem at once. The number is the result's identity within its issuer (a diploma's institution,
a certificate's sending department; another's record under the number, perhaps a squatter's, is no reason to
refuse it): the same result sent again is the record already held (idempotent, also when two copies race), and a
different result under a number already held is refused (409), never overwritten, since a claim may rest on it
(the differing fields named only to the department that sent the held record)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, OrgKind, User, WorkerProfile
from app.errors import Conflict, Forbidden, Invalid
from programme.exchange import areas, imports
from programme.exchange.models import CertificateRecord, ExchangeBatch, ExchangeKind, GraduationRecord
from programme.sharing import schemas
from programme.sharing.models import ApiPush, ApiToken


@dataclass(frozen=True)
class Kind:
    exchange: ExchangeKind
    sender: OrgKind
    schema: dict[str, Any]
    model: type[CertificateRecord] | type[GraduationRecord]
    number: str  # the identity column
    compared: tuple[str, ...]  # the fields a repeat must carry unchanged


CERTIFICATE = Kind(ExchangeKind.certificate, OrgKind.hr_dept, schemas.CERTIFICATE_IN, CertificateRecord,
                   "certificate_no", ("id_number", "name", "occupation", "skill_level", "issued_on"))
GRADUATION = Kind(ExchangeKind.graduation, OrgKind.education_dept, schemas.GRADUATION_IN, GraduationRecord,
                  "diploma_no", ("id_number", "name", "institution_id", "level", "major", "graduated_on"))


@dataclass(frozen=True)
class Pushed:
    record: CertificateRecord | GraduationRecord
    created: bool


def _institution(session: Session, code: Any, errors: dict[str, str]) -> int | None:
    org = session.scalar(select(Organisation).where(Organisation.code == str(code or "")))
    if org is None or org.kind != OrgKind.institution:
        errors.setdefault("institution_code", _("没有这个院校代码。"))
        return None
    return org.id


def checked(session: Session, kind: Kind, body: Any) -> dict[str, Any]:
    """The result's columns, or Invalid with every field's problem."""
    errors = schemas.check(kind.schema, body)
    raw = {k: str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    values, problems = imports.SPECS[kind.exchange].validate(session, None, raw)  # type: ignore[arg-type]
    for field, message in problems.items():
        errors.setdefault(field, message)
    if kind is GRADUATION:
        values["institution_id"] = _institution(session, raw.get("institution_code"), errors)
    if errors:
        raise Invalid(_("结果未接收，请按字段说明修改。"), code="invalid_result", fields=errors)
    return values


def _within_reach(session: Session, token: ApiToken, kind: Kind, values: dict[str, Any]) -> None:
    """Refuse a result outside the department's area (a diploma of an institution elsewhere; a certificate of a
    worker placed only elsewhere: a diploma follows its institution, wherever its graduate lives) or about the
    person who made the token or anyone on the department's staff (any of whom may hold its secret: a push names no
    sender, so a clerk would otherwise make the evidence for their own subsidy)."""
    errors: dict[str, str] = {}
    area = areas.area_of(token.org)
    if area is not None and kind is GRADUATION and areas.outside(area, session.get(Organisation,
                                                                                   values["institution_id"])):
        errors["institution_code"] = areas.institution_outside_message(area)
    if area is not None and kind is CERTIFICATE and areas.workers_outside(session, area, {values["id_number"]}):
        errors["id_number"] = areas.outside_message(area)
    maker = session.get(User, token.created_by_id) if token.created_by_id is not None else None
    own = areas.own_id_number(maker)
    if own and values["id_number"] == own:
        errors["id_number"] = areas.own_message()
    elif areas.held_by_staff(session, token.org_id, {values["id_number"]}):
        errors["id_number"] = areas.staff_message()
    if errors:
        raise Invalid(_("结果未接收，请按字段说明修改。"), code="outside_area", fields=errors)


def _same_number(token: ApiToken, kind: Kind, values: dict[str, Any]) -> Any:
    """The records bearing this result's number: a diploma's within its institution, a certificate's within the
    pushing department, as imports see them (another holding the number first must not block the issuer's record)."""
    where = [getattr(kind.model, kind.number) == values[kind.number]]
    if kind.model is GraduationRecord:
        where.append(GraduationRecord.institution_id == values["institution_id"])
    else:
        where.append(CertificateRecord.org_id == token.org_id)
    return select(kind.model).where(*where)


def _held(session: Session, token: ApiToken, kind: Kind, values: dict[str, Any]) -> Pushed:
    """The record already held under this number: the same result (not created again), or 409. The fields that
    differ are named only to the department that sent the record: to any other they would tell, field by field
    and guess by guess, what another department holds."""
    record = cast(CertificateRecord | GraduationRecord | None, session.scalar(_same_number(token, kind, values)))
    assert record is not None  # the caller saw the number held
    differing = [f for f in kind.compared if getattr(record, f) != values[f]]
    if differing:
        ours = record.batch.org_id == token.org_id
        raise Conflict(_("编号 %(no)s 已报送过不同的内容；已报送的记录不会被覆盖，如需更正请联系省总工会。",
                         no=values[kind.number]), code="conflicting_result",
                       fields={f: _("与已报送的记录不同。") for f in differing} if ours else {})
    return Pushed(record, False)


def push(session: Session, token: ApiToken, kind: Kind, body: Any) -> Pushed:
    """Keep one pushed result (scopes are checked by the caller; the sender's kind is checked here again)."""
    if token.org.kind != kind.sender:
        raise Forbidden(_("这个部门不能报送这类结果。"), code="wrong_department")
    values = checked(session, kind, body)
    _within_reach(session, token, kind, values)
    if session.scalar(_same_number(token, kind, values)) is not None:
        return _held(session, token, kind, values)
    return keep(session, token, kind, values)


def keep(session: Session, token: ApiToken, kind: Kind, values: dict[str, Any]) -> Pushed:
    """Write checked `values` as a new record, or answer with the one that won a race for its number (the
    number's UNIQUE constraint decides; the savepoint keeps the caller's transaction usable)."""
    user_id = session.scalar(select(WorkerProfile.user_id).where(WorkerProfile.id_number == values["id_number"]))
    try:
        with session.begin_nested():
            batch = ExchangeBatch(kind=kind.exchange, org_id=token.org_id, filename=f"API {token.prefix}", rows=1,
                                  imported=1)
            session.add(batch)
            session.flush()
            session.add(ApiPush(batch_id=batch.id, token_id=token.id))
            sender = {"org_id": token.org_id} if kind.model is CertificateRecord else {}
            record: CertificateRecord | GraduationRecord = kind.model(
                batch_id=batch.id, user_id=user_id, **sender, **{k: values[k] for k in (*kind.compared, kind.number)})
            session.add(record)
            session.flush()
    except IntegrityError:  # the same number arrived at the same moment from another request
        return _held(session, token, kind, values)
    return Pushed(record, True)


def as_json(session: Session, kind: Kind, pushed: Pushed) -> dict[str, Any]:
    """The record as the department sent it, with its id and whether this push made it."""
    record = pushed.record
    body = {f: getattr(record, f) for f in kind.schema["properties"] if f != "institution_code"}
    body = {f: v.isoformat() if f.endswith("_on") else v for f, v in body.items()}
    if isinstance(record, GraduationRecord):
        institution = session.get(Organisation, record.institution_id)
        body["institution_code"] = institution.code if institution is not None else ""
    key = "certificate" if kind is CERTIFICATE else "graduation"
    return {"id": record.id, "created": pushed.created, "matched_worker": record.user_id is not None, key: body}
