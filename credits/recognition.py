"""Recognition of outside learning outcomes (学分认定).

A worker uploads a diploma or certificate with an evidence file (PDF, JPEG or PNG, judged by its content);
staff of the issuing institution or union approve or reject it, once. Approval appends one ledger record:
"converted" at the table's rate when a conversion row matches the outcome, else "recognised" at the amount
the reviewer grants, at most what the worker claimed (the table: credits.conversion)."""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, and_, select, update
from sqlalchemy.orm import Session

from app import notifications
from app.accounts import scope
from app.accounts.models import Organisation, OrgKind, OrgLevel, User
from app.accounts.policy import can, conflicted, is_admin, require
from app.db import hold_key, hold_row, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.lookup import get_or_raise
from app.notifications.kinds import RECOGNITION
from app.request_input import id_or_none
from app.storage import Storage
from app.stores import of as store_of
from app.text import is_certificate_number
from credits import fields, ledger
from credits.conversion import match_conversion
from credits.evidence_files import check_evidence
from credits.models import (
    Certificate,
    Conversion,
    OutcomeType,
    Pathway,
    Recognition,
    RecognitionStatus,
    RecordKind,
)
from media import pending_files

OUTCOME_LABELS = {
    OutcomeType.diploma: _l("学历证书"),
    OutcomeType.skill_certificate: _l("职业技能等级证书"),
    OutcomeType.qualification_certificate: _l("职业资格证书"),
    OutcomeType.training_certificate: _l("培训证书"),
}
ISSUER_KINDS = (OrgKind.institution, OrgKind.union)
# Outcomes whose documents always carry a number (学历证书编号, 职业技能等级证书编号, 职业资格证书编号): required, or a
# blank number let one certificate be recognised twice. A training certificate is the one outcome that may
# genuinely have none (many short courses print no serial); without it, the applicant's own request of the same
# title stands for the same certificate.
NUMBERED = frozenset({OutcomeType.diploma, OutcomeType.skill_certificate, OutcomeType.qualification_certificate})
NUMBER_MAX = 64
# A training certificate's serial is free text (浙培字第2025001号): compared without 第 and 号, which people type or
# leave out (浙培字2025001 is the same serial); its Chinese characters are kept.
SERIAL_AFFIXES = str.maketrans("", "", "第号號")
# Digits written as Chinese numerals, one by one (浙培字第二〇二五〇〇一号, or 壹贰叁 as on money): the same serial as
# its digits, or one certificate typed both ways was credited twice. 十, 百 and 千 count; no serial is a count.
CHINESE_DIGITS = str.maketrans({**dict.fromkeys("〇零", "0"), **{ch: str(n) for digits in (
    "一二三四五六七八九", "壹贰叁肆伍陆柒捌玖", "壹貳參肆伍陸柒捌玖") for n, ch in enumerate(digits, 1)}})
# PostgreSQL advisory locks of certificate numbers (app.db.hold_key): any fixed 32-bit number no other lock uses.
NUMBER_LOCKS = 0x51584E4F
# The serial this platform prints on its own completion certificates (credits.certificates.issue), as _number
# leaves it: found inside a typed number too, so "第QX2025…号" is still ours.
OWN_SERIAL = re.compile(r"QX\d{4}[0-9A-F]{10}")


def evidence_folder(data_dir: str) -> Path:
    path = Path(data_dir) / "credit_evidence"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _issuer(session: Session, code: Any, outcome: str, errors: dict[str, str]) -> Organisation | None:
    org = session.scalar(select(Organisation).where(Organisation.code == str(code or "").strip()))
    if org is None or org.kind not in ISSUER_KINDS or org.level == OrgLevel.township:  # as `issuers` offers them
        errors["issuer"] = _("请选择发证的院校或工会。")
        return None
    if (refused := _wrong_issuer(outcome, org)) is not None:
        errors["issuer"] = refused
        return None
    return org


def _wrong_issuer(outcome: str, org: Organisation) -> str | None:
    """Only a school awards a 学历证书: a union's staff could otherwise grant a diploma's 80 credits it never issued."""
    if outcome == OutcomeType.diploma and org.kind != OrgKind.institution:
        return _("学历证书只能由院校颁发，请选择颁发这份证书的院校。")
    return None


def _township_issuer(org: Organisation) -> str | None:
    """The form offers issuers down to county level (`issuers`): a township union named through a forged form had
    its own staff grant any claim, out of sight of the county."""
    if org.level == OrgLevel.township:
        return _("街道（乡镇）一级不能认定学分，这份申请不能通过，申请人可改向县级以上工会或院校申请。")
    return None


def _own_certificate(session: Session, number: str) -> str | None:
    """The platform's own completion certificate is no outside outcome: its credits are in the ledger already (or
    were revoked with it), so recognising it would count them twice or bring them back."""
    candidates = ({number} | set(OWN_SERIAL.findall(number))) - {""}
    if candidates and session.scalar(select(Certificate.id).where(Certificate.serial.in_(candidates)).limit(1)):
        return _("这是本平台颁发的结业证书，学分由平台直接记入学分银行，不能作为外部成果申请认定。")
    return None


def _own_course(session: Session, outcome: str, applicant: int, title: str) -> str | None:
    """A training certificate may have no serial, so the platform's certificate sent as one (revoked for cheating
    or not) is known by its title: one the applicant holds, revoked or not, is refused."""
    if outcome != OutcomeType.training_certificate:
        return None
    held = session.scalars(select(Certificate.resource_title).where(Certificate.user_id == applicant))
    if any(_title_key(found) == _title_key(title) for found in held):
        return _("你已在本平台获得《%(t)s》的结业证书，它的学分由平台记入学分银行，不能再作为培训证书申请认定。",
                 t=title)
    return None


def _title_key(title: str) -> str:
    """A title as compared: letters and digits only, full-width folded, case ignored."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", title).casefold() if ch.isalnum())


def submit(session: Session, actor: Any, raw: dict[str, Any], evidence: bytes, files: Storage | str) -> Recognition:
    """Validate every field and the evidence, then store the file and the request (pending). `files`: the credit
    evidence store, or a data folder; the file goes again if the request is not committed."""
    errors: dict[str, str] = {}
    outcome = str(raw.get("outcome_type") or "")
    if outcome not in OutcomeType.__members__:
        errors["outcome_type"] = _("请选择成果类型。")
    values = {
        "title": fields.text(raw.get("title"), "title", 200, errors, required=True),
        "occupation": fields.text(raw.get("occupation"), "occupation", 100, errors),
        "level": fields.text(raw.get("level"), "level", 50, errors),
        "certificate_no": _checked_number(raw.get("certificate_no"), outcome, errors),
        "claimed_credits": fields.parse_credits(raw.get("claimed_credits"), "claimed_credits", errors),
    }
    issuer = _issuer(session, raw.get("issuer"), outcome, errors)
    pathway = _optional_pathway(session, raw.get("pathway"), errors)
    try:
        kind, kept = check_evidence(evidence)
    except Invalid as err:
        errors.update(err.fields)
    number, title = cast(str, values["certificate_no"]), cast(str, values["title"])
    code = "invalid"
    hold_row(session, User, actor.id)  # a second request sent at once waits, then sees this one (_same_certificate)
    if number:
        hold_key(session, NUMBER_LOCKS, number)  # and so does another applicant's of this number
    if "certificate_no" not in errors and (own := _own_certificate(session, number)) is not None:
        errors["certificate_no"], code = own, "own_certificate"
    elif (own := _own_course(session, outcome, actor.id, title)) is not None:
        errors["title"], code = own, "own_certificate"
    elif outcome in OutcomeType.__members__ and "certificate_no" not in errors and (earlier := _same_certificate(
            session, OutcomeType(outcome), number, applicant=actor.id, title=title)):
        errors["certificate_no"] = _("这份证书已提交过学分认定（第%(n)d号申请），不能重复认定。", n=earlier.id)
    if errors:
        raise Invalid(_("请修改标出的内容。"), code=code, fields=errors)
    assert issuer is not None  # _issuer recorded an error otherwise
    key = secrets.token_hex(16)
    store = store_of(files, "credit_evidence")
    store.put(key, io.BytesIO(kept))
    pending_files.written(session, store, key)
    request = Recognition(user_id=actor.id, outcome_type=OutcomeType(outcome), issuer_id=issuer.id,
                          pathway_id=pathway.id if pathway else None, evidence_key=key, evidence_type=kind,
                          **values)
    session.add(request)
    session.flush()
    return request


def _number(typed: str) -> str:
    """A certificate number as compared and kept: letters and digits only, full-width folded, case ignored, so
    S330100-2025-0001 and s330100 2025/0001 are one certificate (as programme/money/claim_checks.normalise,
    which credits may not import: programme sits above it), without 第 or 号 (SERIAL_AFFIXES), Chinese numerals
    as digits (CHINESE_DIGITS). Kept so (migrations 0029, 0035): the stored form is the one compared, by anyone."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", typed).casefold())
    return "".join(ch for ch in folded if ch.isalnum()).upper().translate(SERIAL_AFFIXES).translate(CHINESE_DIGITS)


def _is_serial_char(ch: str) -> bool:
    """What a training serial may keep: ASCII letters and digits, and Chinese characters; a Cyrillic О for O
    would be a new serial for one certificate (〇 for 0 is folded to 0 first: CHINESE_DIGITS)."""
    return ch.isascii() or unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")


def _checked_number(raw: Any, outcome: str, errors: dict[str, str]) -> str:
    """A numbered outcome's number must be one (app.text.is_certificate_number): "第S-1号" or a Cyrillic Ѕ for S
    would be a new number for one certificate, recognised twice. A training certificate's serial may hold Chinese
    characters, no other letters beyond ASCII (_is_serial_char)."""
    number = _number(str(raw or ""))
    if not number and outcome in NUMBERED:
        errors["certificate_no"] = _("请填写证书编号。")
    elif outcome in NUMBERED and not is_certificate_number(str(raw).strip()):
        errors["certificate_no"] = _("证书编号只能包含英文字母和数字（可用空格或“-”分隔），请按证书上的编号填写。")
    elif not all(_is_serial_char(ch) for ch in number):
        errors["certificate_no"] = _("证书编号只能包含汉字、英文字母和数字，请按证书上的编号填写。")
    elif len(number) > NUMBER_MAX:
        errors["certificate_no"] = _("不能超过%(n)d个字。", n=NUMBER_MAX)
    return number


def _same_certificate(session: Session, outcome: OutcomeType, number: str, *, applicant: int, title: str,
                      but: int | None = None,
                      statuses: tuple[RecognitionStatus, ...] = (RecognitionStatus.pending, RecognitionStatus.approved)
                      ) -> Recognition | None:
    """Another request for this certificate that is pending or was approved: one certificate is recognised once.
    With a number: the number, whoever sent it, to whichever issuer, under any numbered outcome type (the number
    names the document: a 职业技能等级证书 sent again as a 职业资格证书 was credited twice), or as a training
    certificate again. The applicant's own request of that number under any type, too (a skill certificate sent
    again as a training certificate was credited twice). A training certificate may have none: a request without a
    number is the applicant's own request of that title with any number or none, and the reverse (a serial typed
    once and left blank once was credited twice). Numbers are stored folded (_number), so others' are compared as
    stored, by an index; the applicant's own are compared folded again, to the rules of today."""
    kinds = NUMBERED if outcome in NUMBERED else frozenset({outcome})
    live = and_(Recognition.status.in_(statuses), Recognition.id != (but or 0))
    found = [session.scalar(select(Recognition).where(live, Recognition.outcome_type.in_(kinds),
                                                      Recognition.certificate_no == number)
                            .order_by(Recognition.id).limit(1)) if number else None]
    found += [mine for mine in session.scalars(select(Recognition).where(live, Recognition.user_id == applicant))
              if (number and _number(mine.certificate_no) == number)
              or (mine.outcome_type in kinds and (not number or not mine.certificate_no)
                  and _title_key(mine.title) == _title_key(title))]
    return min((r for r in found if r is not None), key=lambda r: r.id, default=None)


def _optional_pathway(session: Session, raw: Any, errors: dict[str, str]) -> Pathway | None:
    if raw in (None, ""):
        return None
    pathway = session.get(Pathway, pid) if (pid := id_or_none(raw)) else None
    if pathway is None or not pathway.active:
        errors["pathway"] = _("学分路径不存在。")
    return pathway


def get(session: Session, recognition_id: int) -> Recognition:
    return get_or_raise(session, Recognition, recognition_id, _("认定申请不存在。"), code="recognition_not_found")


def visible(session: Session, actor: Any, recognition_id: int) -> Recognition:
    """The applicant and those who may decide it see a request (and its evidence); others get not found."""
    found = get(session, recognition_id)
    if found.user_id != getattr(actor, "id", None) and not can(actor, "credit.review", found):
        raise NotFound(_("认定申请不存在。"), code="recognition_not_found")
    return found


def review(session: Session, actor: Any, recognition_id: int, decision: str, *, amount: Any = None,
           comment: str | None = None) -> Recognition:
    """Approve (appending one ledger record) or reject, once; the applicant never decides their own. Without a
    conversion row the grant is the reviewer's `amount` (the claim when blank), never above the claim."""
    request = get(session, recognition_id)
    if getattr(actor, "id", None) == request.user_id:
        raise Forbidden(_("不能审核自己的认定申请。"), code="own_request")
    if conflicted(actor, "credit.review", request):
        raise Forbidden(_("不能审核同单位同事的认定申请，这份申请由平台管理员审核。"), code="colleague_request")
    require(actor, "credit.review", request)
    errors: dict[str, str] = {}
    if decision not in ("approve", "reject"):
        errors["decision"] = _("请选择通过或不通过。")
    comment = fields.text(comment, "comment", 500, errors, required=decision == "reject")
    conversion = match_conversion(session, request) if decision == "approve" else None
    granted = 0.0
    if decision == "approve" and conversion is None:
        granted = fields.parse_credits(request.claimed_credits if amount in (None, "") else amount, "amount", errors,
                                positive=True)
    if errors:
        raise Invalid(_("请修改标出的内容。"), code="invalid", fields=errors)
    if granted > round(request.claimed_credits, 2):
        # the worker's claim is the ceiling: a reviewer may recognise less than asked, never more (a review found
        # 60 credits granted on a claim of 6)
        message = _("认定学分不能超过申请的%(n)s学分。", n=f"{request.claimed_credits:g}")
        raise Invalid(message, code="above_claimed", fields={"amount": message})
    if decision == "approve":
        # approvals of one applicant's requests take turns (held until commit), and so do approvals of one number
        # (two people's requests of one certificate): of twins decided at the same moment the second sees the first
        # approved. Always in this order (applicant, then number), as in submit: no two wait for each other.
        hold_row(session, User, request.user_id)
        if number := _number(request.certificate_no):
            hold_key(session, NUMBER_LOCKS, number)
        _still_recognisable(session, request)
    if decision == "approve" and (earlier := _same_certificate(
            session, request.outcome_type, _number(request.certificate_no), applicant=request.user_id,
            title=request.title, but=request.id, statuses=(RecognitionStatus.approved,))) is not None:
        raise Conflict(_("这份证书已获认定（第%(n)d号申请），不能重复认定。", n=earlier.id), code="already_recognised")
    status = RecognitionStatus.approved if decision == "approve" else RecognitionStatus.rejected
    claimed = cast(CursorResult[Any], session.execute(update(Recognition).where(
        Recognition.id == request.id, Recognition.status == RecognitionStatus.pending).values(
        status=status, reviewer_id=actor.id, review_comment=comment, reviewed_at=utcnow())))
    if not claimed.rowcount:
        raise Conflict(_("这份申请已经审核过了。"), code="already_decided")
    session.refresh(request)
    if status == RecognitionStatus.approved:
        _record_approval(session, actor, request, conversion, granted)
    notifications.notify(session, request.user_id, RECOGNITION,
                         _("学分认定已通过：%(t)s", t=request.title) if status == RecognitionStatus.approved
                         else _("学分认定未通过：%(t)s", t=request.title),
                         f"/credits/recognition/{request.id}", comment or "")
    return request


def _still_recognisable(session: Session, request: Recognition) -> None:
    """Checked again at approval: a request sent before these rules, or a certificate issued since, is refused."""
    number: dict[str, str] = {}
    _checked_number(request.certificate_no, request.outcome_type, number)
    for field, refused, code in (
            ("certificate_no", number.get("certificate_no"), "invalid_number"),
            ("certificate_no", _own_certificate(session, _number(request.certificate_no)), "own_certificate"),
            ("title", _own_course(session, request.outcome_type, request.user_id, request.title), "own_certificate"),
            ("issuer", _wrong_issuer(request.outcome_type, request.issuer), "diploma_issuer"),
            ("issuer", _township_issuer(request.issuer), "township_issuer")):
        if refused is not None:
            raise Invalid(refused, code=code, fields={field: refused})


def _record_approval(session: Session, actor: Any, request: Recognition, conversion: Conversion | None,
                     granted: float) -> None:
    label = f"{OUTCOME_LABELS[request.outcome_type]}：{request.title}"
    ledger.append(
        session, key=f"recognition:{request.id}", user_id=request.user_id,
        kind=RecordKind.converted if conversion else RecordKind.recognised,
        amount=conversion.credits if conversion else granted, source=label[:300], recognition_id=request.id,
        conversion_id=conversion.id if conversion else None, reviewer_id=actor.id, issuer_id=request.issuer_id,
        reason=request.review_comment)


def colleagues_stand_aside(request: Recognition) -> bool:
    """The applicant works for the issuer: none of their colleagues may decide it (policy CONFLICTS), so it waits
    for a site admin (for a union: or staff of a union above); the applicant's page says so."""
    return any(m.organisation_id == request.issuer_id for m in request.user.memberships)


def mine(session: Session, user_id: int) -> list[Recognition]:
    return list(session.scalars(select(Recognition).where(Recognition.user_id == user_id)
                                .order_by(Recognition.id.desc())))


def queue(session: Session, actor: Any, limit: int = 200) -> list[Recognition]:
    """Pending requests this reviewer may decide, oldest first: those issued by the reviewer's organisations
    (unions: and everything below them), narrowed in SQL, then each confirmed by the policy."""
    query = select(Recognition).where(Recognition.status == RecognitionStatus.pending,
                                      Recognition.user_id != actor.id)
    if not is_admin(actor):
        orgs = scope.orgs_of(actor)
        if not orgs:
            return []
        query = query.where(Recognition.issuer_id.in_(scope.within_ids(orgs)))
    found = session.scalars(query.order_by(Recognition.id).limit(limit))
    return [r for r in found if can(actor, "credit.review", r)]


def issuers(session: Session) -> list[Organisation]:
    """Institutions and the unions down to county level, for the request form."""
    return list(session.scalars(select(Organisation).where(
        Organisation.kind.in_(ISSUER_KINDS), Organisation.level != OrgLevel.township).order_by(Organisation.path)))
