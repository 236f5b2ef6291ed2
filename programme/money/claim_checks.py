"""What a subsidy claim rests on (补贴核验): the graduation or certificate record sent by data exchange
(programme/exchange/imports.py), or uploaded scans that a reviewer other than the claimant has checked.

The review page shows the claim beside the record line by line (field, claim says, record says, ✓/✗). Any ✗
blocks approval, and there is no override: the amounts are public money, an override is the one button a
colluding reviewer needs, and every mismatch has a correction at its source (the worker's profile, the claim's
number, or the institution's or HR department's record). A claim is refused until the data agree.

One result is paid once: approval stores the result's key in the claim's UNIQUE `result_key`, so a result claimed
again in another year, through another union, or by two reviewers at the same moment, is refused by the service
and, failing that, by the database. A diploma is a number within its institution ("diploma:<institution id>:
<number>"): a claim is checked against its own institution's record (`find_record`), so another institution's
record under the same number (a squatter's) never stands in for it, and claims paid on the squatter's record do
not consume the awarding institution's key. The same number paid at another institution still stops a claim of
the same worker, or one resting on scans alone (`_paid_elsewhere`); approvals that could stop each other that
way take turns (`hold_result`). A skill certificate's number is one within its sending department: a claim is checked
against a record sent by a department answering for the claim's county, the one naming the claimant first
(`find_record`), so another department's record under the number (a squatter's) never stands in for it. Its key
names that department ("certificate:<department id>:<number>"; on scans alone, the number alone): a claim paid on a
squatter's record does not consume the issuer's, while the same worker's certificate sent by two departments, or a
number claimed on scans alone, is still paid once (`_paid_elsewhere`).

A claim on scans alone has no record to date it: the date the claimant states is required and, like a record's,
may not be before the enrolment (`_scans_rows`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, object_session

from app import audit
from app.accounts.masking import mask_id_number
from app.accounts.models import Membership, Organisation, User
from app.accounts.policy import require
from app.db import hold_row, utcnow
from app.errors import Conflict, Forbidden, Invalid
from app.sanitize import clean_text
from programme.admissions.labels import ATTAINMENT_LABELS, LEVEL_LABELS
from programme.admissions.models import Attainment, EnrolmentRecord
from programme.exchange import areas
from programme.exchange.models import CertificateRecord, GraduationRecord
from programme.money.models import ClaimEvidence, ClaimStatus, SubsidyClaim

DIPLOMA_LEVELS = {Attainment.dazhuan: ("zhuanke",), Attainment.benke: ("gaoqiben", "zhuanshengben")}
SKILL_LEVELS = {Attainment.senior_worker: 3, Attainment.technician: 2, Attainment.senior_technician: 1}
SKILL_NAMES = {1: _l("高级技师"), 2: _l("技师"), 3: _l("高级工"), 4: _l("中级工"), 5: _l("初级工")}


def normalise(number: str) -> str:
    """The identity of a certificate number: full-width folded, case and separators ignored (ZJ-001 = zj 001).
    Other letters are kept, so a claim's number is refused at input unless ASCII (app.text.is_certificate_number)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", number).upper() if ch.isalnum())[:120]


DIPLOMA_KEY = "diploma:"
CERTIFICATE_KEY = "certificate:"


def diploma_key(institution_id: int, number: str) -> str:
    """The result a diploma claim consumes: the number within its institution."""
    return f"{DIPLOMA_KEY}{institution_id}:{normalise(number)}"


def certificate_key(org_id: int, number: str) -> str:
    """The result a claim on a skill certificate record consumes: the number within the department that sent it
    (a fabricated record under a real number, by whoever sent it first, must not use up the issuer's)."""
    return f"{CERTIFICATE_KEY}{org_id}:{normalise(number)}"


def _same(a: str, b: str) -> bool:
    return unicodedata.normalize("NFKC", a).strip() == unicodedata.normalize("NFKC", b).strip()


@dataclass
class Row:
    label: str
    claim_says: str
    record_says: str
    ok: bool
    note: str = ""


@dataclass
class Review:
    """The claim beside what it rests on; `problems` empty means it may be approved."""

    claim: SubsidyClaim
    record: GraduationRecord | CertificateRecord | None
    rows: list[Row] = field(default_factory=list)
    key: str = ""
    consumed_by: SubsidyClaim | None = None

    @property
    def evidence_checked(self) -> bool:
        return self.claim.evidence_checked_at is not None

    @property
    def problems(self) -> list[str]:
        found = []
        if self.record is None and not self.evidence_checked:
            found.append(_("没有可核对的毕业或证书记录：请院校或人社部门通过数据交换报送，"
                           "或由非申请人的审核人员核验上传的证明材料后再核准。"))
        bad = [r.label for r in self.rows if not r.ok]
        if bad:
            found.append(_("申请与记录不一致：%(fields)s。请更正后再核准。", fields="、".join(bad)))
        if self.consumed_by is not None:
            found.append(_("这项成果（证书编号 %(no)s）已由第 %(n)d 号申请获得补贴，不能重复补贴。",
                           no=self.claim.certificate_number, n=self.consumed_by.id))
        return found


def _person(claim: SubsidyClaim) -> tuple[str, str]:
    user = claim.enrolment.user
    profile = getattr(user, "profile", None)
    return ((profile.real_name if profile and profile.real_name else user.name),
            (profile.id_number if profile and profile.id_number else ""))


def _institution_id(claim: SubsidyClaim) -> int:
    return claim.enrolment.application.offering.institution_id


def find_record(session: Session, claim: SubsidyClaim) -> GraduationRecord | CertificateRecord | None:
    """The exchanged record bearing the claim's number, of the claim's kind (a diploma or a skill certificate).
    A diploma's is the claim's institution's when it has one; a certificate's, one sent by a department answering
    for the claim's county (`_covers`), the claimant's own first, then one agreeing with the claim (two departments
    may each hold the number: the issuer's true record is not hidden behind an older one). Any other record under
    the number stands in only when it names the claimant (their account or ID number), and only while the claim has
    none of the former: it then blocks approval (its ✗ 院校 row; a certificate's sender is out of area). Anyone
    else's (a squatter's, from another institution or another city) is not what the claim is checked against: the
    claim rests on its scans, and a number already paid is stopped by its key (`review`, `_paid_elsewhere`)."""
    model: Any = GraduationRecord if claim.attainment in DIPLOMA_LEVELS else CertificateRecord
    column = model.diploma_no if model is GraduationRecord else model.certificate_no
    wanted = normalise(claim.certificate_number)
    _name, id_number = _person(claim)
    user_id = claim.enrolment.user_id
    near = [column.in_({claim.certificate_number, wanted}), model.user_id == user_id]
    if id_number:
        near.append(model.id_number == id_number)
    found = [r for r in session.scalars(select(model).where(or_(*near)).order_by(model.id))
             if normalise(getattr(r, column.key)) == wanted]

    def names_claimant(r: GraduationRecord | CertificateRecord) -> bool:
        return r.user_id == user_id or (bool(id_number) and r.id_number.upper() == id_number.upper())

    if model is GraduationRecord:
        own = _institution_id(claim)
        found = [r for r in found if r.institution_id == own or names_claimant(r)]
        found.sort(key=lambda r: r.institution_id != own)  # the claim's institution's first, then the oldest
    else:
        found = [r for r in found if _covers(claim, r) or names_claimant(r)]
        found.sort(key=lambda r: (not _covers(claim, r), not names_claimant(r),
                                  not all(row.ok for row in _rows(session, claim, r))))
    return found[0] if found else None


def _rows(session: Session, claim: SubsidyClaim, record: GraduationRecord | CertificateRecord) -> list[Row]:
    name, id_number = _person(claim)
    offering = claim.enrolment.application.offering
    attainment = str(ATTAINMENT_LABELS[claim.attainment])
    rows = [Row(_("姓名"), name, record.name, _same(name, record.name)),
            Row(_("身份证号"), mask_id_number(id_number) or _("未填写"), mask_id_number(record.id_number),
                bool(id_number) and id_number.upper() == record.id_number.upper())]
    if isinstance(record, GraduationRecord):
        number, attained = record.diploma_no, record.graduated_on
        rows += [Row(_("层次"), attainment, str(LEVEL_LABELS.get(record.level, record.level)),
                     record.level in DIPLOMA_LEVELS.get(claim.attainment, ())),
                 Row(_("院校"), offering.institution.name, _org_name(session, record.institution_id),
                     offering.institution_id == record.institution_id),
                 Row(_("专业"), offering.major, record.major, _same(offering.major, record.major))]
    else:
        number, attained = record.certificate_no, record.issued_on
        occupation, major = (unicodedata.normalize("NFKC", v).strip() for v in (record.occupation, offering.major))
        rows += [Row(_("等级"), attainment, str(SKILL_NAMES.get(record.skill_level, record.skill_level)),
                     SKILL_LEVELS.get(claim.attainment) == record.skill_level),
                 Row(_("职业（工种）"), offering.major, record.occupation,
                     bool(occupation) and (occupation in major or major in occupation))]
    rows.append(Row(_("证书编号"), claim.certificate_number, number,
                    normalise(claim.certificate_number) == normalise(number)))
    rows.append(_date_row(claim, attained))
    return rows


def _org_name(session: Session, org_id: int) -> str:
    org = session.get(Organisation, org_id)
    return org.name if org else ""


def _date_row(claim: SubsidyClaim, attained: date) -> Row:
    said = claim.attained_on or (claim.enrolment.graduated_on if claim.attainment in DIPLOMA_LEVELS else None)
    enrolled = claim.enrolment.enrolled_on
    note = "" if attained >= enrolled else _("早于入学日期 %(d)s：不是本次报读取得的成果。", d=enrolled.isoformat())
    return Row(_("取得日期"), said.isoformat() if said else _("未填写"), attained.isoformat(),
               (said is None or said == attained) and attained >= enrolled, note)


def _scans_rows(claim: SubsidyClaim) -> list[Row]:
    """A claim with scans and no record: the date the claimant states (from the scan) stands in for the record's,
    required, and not before the enrolment, as a record's would be."""
    said, enrolled = claim.attained_on, claim.enrolment.enrolled_on
    note = ""
    if said is None:
        note = _("仅凭证明材料核准时须填写取得日期（以证书所载为准），请申请人更正申请。")
    elif said < enrolled:
        note = _("早于入学日期 %(d)s：不是本次报读取得的成果。", d=enrolled.isoformat())
    return [Row(_("取得日期"), said.isoformat() if said else _("未填写"), _("入学 %(d)s", d=enrolled.isoformat()),
                not note, note)]


def result_key(claim: SubsidyClaim, record: GraduationRecord | CertificateRecord | None) -> str:
    """The key an approval of `claim` resting on `record` (None: on checked scans) stores. A diploma's names the
    claim's institution, the only one whose record it may be approved on; a certificate record's, its sender."""
    number = claim.certificate_number if record is None else (
        record.diploma_no if isinstance(record, GraduationRecord) else record.certificate_no)
    if claim.attainment in DIPLOMA_LEVELS:
        return diploma_key(_institution_id(claim), number)
    return certificate_key(record.org_id, number) if isinstance(record, CertificateRecord) else normalise(number)


def _paid_elsewhere(session: Session, claim: SubsidyClaim, key: str, scans_only: bool) -> SubsidyClaim | None:
    """A claim approved on the same number under another key that consumes this one too: the same worker's (one
    graduation claimed through two institutions, one certificate sent by two departments or claimed on scans), or
    anyone's when this claim has scans alone to show. A claim on a record is not stopped by another person's claim
    (a squatter's). The database backs only the same key: across keys this check is the service's alone."""
    number = key.rsplit(":", 1)[-1]
    same = (SubsidyClaim.result_key.like(f"{DIPLOMA_KEY}%:{number}") if claim.attainment in DIPLOMA_LEVELS else
            or_(SubsidyClaim.result_key == number, SubsidyClaim.result_key.like(f"{CERTIFICATE_KEY}%:{number}")))
    query = (select(SubsidyClaim).join(EnrolmentRecord, EnrolmentRecord.id == SubsidyClaim.enrolment_id)
             .where(same, SubsidyClaim.id != claim.id).order_by(SubsidyClaim.id))
    if not scans_only:
        query = query.where(EnrolmentRecord.user_id == claim.enrolment.user_id)
    return session.scalars(query).first()


def review(session: Session, claim: SubsidyClaim) -> Review:
    record = find_record(session, claim)
    result = Review(claim, record, key=result_key(claim, record))
    if record is not None:
        result.rows = _rows(session, claim, record)
    elif claim.files:
        result.rows = _scans_rows(claim)
    result.consumed_by = session.scalar(select(SubsidyClaim).where(
        SubsidyClaim.result_key == result.key, SubsidyClaim.id != claim.id)) or _paid_elsewhere(
        session, claim, result.key, record is None)
    return result


def hold_result(session: Session, claim: SubsidyClaim) -> None:
    """Before an approval reads what is already paid (`review`), hold what a concurrent approval that could stop it
    also holds, until commit (app.db.hold_row), so the second reads after the first has written: the claimant's
    user row (their own result, claimed through another institution or department: keys differ there, nothing UNIQUE
    collides), and for a diploma on scans alone, which any payment of the number stops, the province's row (the
    root of the claim's county): every such approval takes its turn there (rare, human-paced). Every certificate
    approval does (a claim on scans alone is stopped by a payment on any department's record, one on a record may
    be that payment). A number has no row of its own to hold without a new table. Two claims on records of
    different people never stop each other. A diploma on its institution's record needs no turn: its approval reads
    nothing another person's writes (its own key is UNIQUE; only its claimant's claims stop it), so racing one on
    scans it leaves what the scans one approved first would, both paid (tests/programme/money/
    test_claim_attacks_diploma_turns.py); a turn would only choose the order."""
    hold_row(session, User, claim.enrolment.user_id)
    if claim.attainment not in DIPLOMA_LEVELS or find_record(session, claim) is None:
        root = claim.enrolment.application.county.path.strip("/").split("/")[0]
        root_id = session.scalar(select(Organisation.id).where(Organisation.code == root))
        if root_id is not None:
            hold_row(session, Organisation, root_id)


def _covers(claim: SubsidyClaim, record: GraduationRecord | CertificateRecord) -> bool:
    """Whether the department that sent `record` answers for the claim's county (its area holds the county)."""
    area = areas.area_of(record.batch.org)
    return area is None or claim.enrolment.application.county.is_within(area)


def _sender_covers(claim: SubsidyClaim, record: GraduationRecord | CertificateRecord | None) -> None:
    """A certificate sent by a city's department is evidence for that city's claims only (a record kept for a
    person the site could not place when it came in is checked here, when it is first relied on)."""
    if not isinstance(record, CertificateRecord):
        return  # a diploma follows its institution (checked against the claim's), wherever its graduate lives
    if not _covers(claim, record):
        message = _("这份证书由%(dept)s报送，不在其辖区内，不能作为本申请的补贴依据。", dept=record.batch.org.name)
        raise Invalid(message, code="outside_area", fields={"evidence": message})


def basis(session: Session, claim: SubsidyClaim) -> Review:
    """The review of a claim about to be approved, or the reason it may not be."""
    found = review(session, claim)
    if found.record is not None:
        _not_own_record(session, claim, found.record)
    _sender_covers(claim, found.record)
    problems = found.problems
    if found.consumed_by is not None:
        raise Conflict(problems[-1], code="already_subsidised")
    if found.record is None and not found.evidence_checked:
        raise Invalid(problems[0], code="no_evidence", fields={"evidence": problems[0]})
    if problems:
        raise Invalid(problems[0], code="mismatch",
                      fields={r.label: _("申请：%(a)s；记录：%(b)s", a=r.claim_says, b=r.record_says)
                              for r in found.rows if not r.ok})
    return found


def _not_own_record(session: Session, claim: SubsidyClaim, record: GraduationRecord | CertificateRecord) -> None:
    """A record made by a stakeholder of the claim is no evidence; one made by a colleague of the claimant (sharing an
    organisation, as policy._colleague_of) is none alone: a clerk's desk neighbour imported the college graduation
    the clerk was paid on. It stands once scans were checked by a reviewer outside the claimant's organisations."""
    makers = _makers(session, record)
    theirs = select(Membership.organisation_id).where(Membership.user_id == claim.enrolment.user_id,
                                                      Membership.organisation_id.is_not(None))
    if makers & _stakeholders(claim):
        message = (_("这条记录是由申请人本人导入的，不能作为补贴依据：请院校或人社部门的其他经办人员报送。")
                   if record.batch.imported_by_id is not None else
                   _("这条记录由申请人任职的部门通过数据接口报送，不能作为补贴依据：请该部门的其他经办人员以文件导入报送。"))
    elif claim.evidence_checked_at is None and makers and session.scalar(select(Membership.id).where(
            Membership.user_id.in_(makers), Membership.organisation_id.in_(theirs)).limit(1)) is not None:
        message = _("这条记录由申请人的同事报送，不能单独作为补贴依据：请上传证明材料，"
                    "由申请人单位以外的审核人员核验后再核准。")
    else:
        return
    raise Invalid(message, code="own_record", fields={"evidence": message})


def _stakeholders(claim: SubsidyClaim) -> set[int]:
    ids = {claim.enrolment.user_id, claim.filed_by_id} | {f.uploaded_by_id for f in claim.files}
    return {i for i in ids if i is not None} | _amenders(object_session(claim), claim)


AMEND = "subsidy.amend"  # the audit action of a correction (subsidies.amend)


def amended(session: Session, actor: Any, claim: SubsidyClaim) -> None:
    """Record a correction of the claim's number or date in the audit log (append-only, in the correction's
    transaction): whoever made the claim agree with its evidence is one of its claimants from then on (a site admin
    may correct any claim, and would otherwise approve their own correction)."""
    audit.record(session, actor, AMEND, "subsidy_claim", claim.id, org_id=claim.enrolment.application.county_id,
                 certificate_number=claim.certificate_number, attained_on=claim.attained_on)


def _amenders(session: Session | None, claim: SubsidyClaim) -> set[int]:
    """Who corrected the claim, with every account they were merged into since (merge.LEFT keeps the log's actor)."""
    if session is None or claim.id is None:
        return set()
    found = set(session.scalars(select(audit.AuditEntry.actor_id).where(
        audit.AuditEntry.target_kind == "subsidy_claim", audit.AuditEntry.target_id == str(claim.id),
        audit.AuditEntry.action == AMEND, audit.AuditEntry.actor_id.is_not(None))))
    while more := set(session.scalars(select(User.merged_into_id).where(User.id.in_(found)))) - found - {None}:
        found |= more
    return cast(set[int], found)


def _makers(session: Session, record: GraduationRecord | CertificateRecord) -> set[int]:
    """Who made the record: its importer, or for a pushed one (no importer: the department's token sent it, naming
    nobody) everyone on the sending department's staff, any of whom may have sent it."""
    importer = record.batch.imported_by_id
    return {importer} if importer is not None else areas.staff_of(session, record.batch.org_id)


def claimants(claim: SubsidyClaim) -> set[int]:
    """Everyone with a stake in the claim: the worker, whoever filed it, corrected it or uploaded its files, and
    whoever made the record it rests on (who made the evidence does not approve on it)."""
    session = object_session(claim)
    record = find_record(session, claim) if session is not None else None
    return _stakeholders(claim) | (_makers(session, record) if session is not None and record is not None else set())


def not_the_claimant(actor: Any, claim: SubsidyClaim) -> None:
    if getattr(actor, "id", None) in claimants(claim):
        raise Forbidden(_("不能审核自己申请或提交材料的补贴。"), code="own_claim")


def check_evidence(session: Session, actor: User, claim: SubsidyClaim, note: str = "",
                   seen_files: list[int] | None = None) -> SubsidyClaim:
    """A reviewer confirms the uploaded scans show this person's result (who and when kept on the claim).
    `seen_files`: the files the reviewer's page listed; a check of other files is refused, read after the claim's
    row is taken (an upload holds it too), so no file added after the page was opened is checked unseen."""
    not_the_claimant(actor, claim)  # first, so the refusal says why (the policy refuses it too, as "forbidden")
    require(actor, "subsidy.verify", claim)
    if not claim.files:
        raise Invalid(_("这份申请没有上传证明材料，无法核验。"), code="no_files")
    note = clean_text(note)[:500]
    moved = cast(CursorResult[Any], session.execute(update(SubsidyClaim).where(
        SubsidyClaim.id == claim.id, SubsidyClaim.status == ClaimStatus.claimed,
        SubsidyClaim.evidence_checked_at.is_(None)).values(
        evidence_checked_by_id=getattr(actor, "id", None), evidence_checked_at=utcnow(), evidence_check_note=note)
        .execution_options(synchronize_session=False))).rowcount
    if moved != 1:
        raise Conflict(_("这份申请已经审核，或证明材料已核验过。"), code="already_checked")
    if seen_files is not None and sorted(seen_files) != list(session.scalars(
            select(ClaimEvidence.id).where(ClaimEvidence.claim_id == claim.id).order_by(ClaimEvidence.id))):
        raise Conflict(_("这份申请的证明材料在您打开页面后有变动，请重新查看后再核验。"), code="files_changed")
    session.refresh(claim)
    return claim
