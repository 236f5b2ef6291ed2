"""Subsidies on attainment (补贴核发): a claim with evidence, the union's decision, payment in dated batches.

The amount is fixed on approval: the province standard for the attainment plus the city's and the
county's own top-ups. The province part is taken from the county's share of province money by a
conditional UPDATE. A claim is paid at most once: programme_subsidy_payments has UNIQUE(claim_id), and
the claim moves approved → paid by a conditional UPDATE, so two clerks paying at once cannot both win.
Approval needs evidence that agrees with the claim, and a result is subsidised once
(programme/money/claim_checks.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import notifications
from app.accounts.models import Organisation, User
from app.accounts.policy import require
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid
from app.lookup import get_or_raise
from app.notifications.kinds import SUBSIDY
from app.sanitize import strip_markup
from app.storage import Storage
from app.text import is_certificate_number
from app.timefmt import beijing_today, local_day
from programme.admissions import quotas
from programme.admissions.models import Application, Attainment, EnrolmentRecord, Plan, Quota
from programme.enterprises import topups
from programme.exchange.models import CertificateRecord, GraduationRecord
from programme.money import claim_checks, funds
from programme.money import evidence as evidence_files
from programme.money.models import ClaimStatus, PaymentBatch, SubsidyClaim, SubsidyPayment


def get(session: Session, claim_id: int) -> SubsidyClaim:
    return get_or_raise(session, SubsidyClaim, claim_id, _("没有这份补贴申请。"))


def claim(session: Session, actor: User, enrolment: EnrolmentRecord, attainment: str, certificate_number: str,
          evidence: str, *, files: Sequence[bytes] = (), storage: Storage | None = None,
          attained_on: date | None = None) -> SubsidyClaim:
    """Filed by the worker or the institution; one claim per enrolment and attainment. `files` are scans or
    photos (programme/money/evidence.py), checked with the fields before anything is saved. `attained_on`, the
    graduation or issue date the claimant states, is compared with the record on review; with files it is
    required, since a claim resting on scans alone is dated by it (approval refuses one without it in any case:
    files may be added later)."""
    require(actor, "subsidy.claim", enrolment)
    errors: dict[str, str] = {}
    checked = []
    for data in files[:evidence_files.MAX_FILES + 1]:
        try:
            checked.append(evidence_files.check(data))
        except Invalid as err:
            errors.update(err.fields)
    if len(files) > evidence_files.MAX_FILES:
        errors[evidence_files.FIELD] = _("每份申请最多上传%(n)d个文件。", n=evidence_files.MAX_FILES)
    if attainment not in tuple(Attainment):
        errors["attainment"] = _("请选择取得的学历或证书：大专、本科、高级工、技师或高级技师。")
    number = certificate_number.strip()
    errors.update(_number_and_date(number, attained_on))
    if checked and attained_on is None and "attained_on" not in errors:  # scans have no record to date them
        errors["attained_on"] = _("凭上传的证明材料申请时，请填写证书上的取得日期。")
    if errors:
        raise Invalid(_("补贴申请有误，请按提示修改。"), fields=errors)
    item = SubsidyClaim(enrolment_id=enrolment.id, attainment=Attainment(attainment), certificate_number=number,
                        evidence=strip_markup(evidence.strip()), filed_by_id=actor.id,
                        attained_on=attained_on)
    try:
        with session.begin_nested():
            session.add(item)
    except IntegrityError:
        raise Conflict(_("这项成果已经申请过补贴。"), code="already_claimed") from None
    if checked and storage is None:
        raise ValueError("files need a storage")
    for kind, kept in checked:
        assert storage is not None  # checked above
        evidence_files.store(session, actor, item, kind, kept, storage)
    return item


def amend(session: Session, actor: User, item: SubsidyClaim, certificate_number: str,
          attained_on: date | None) -> SubsidyClaim:
    """The claimant corrects the number or date of a claim awaiting review: how a mismatch on the claim's side is
    resolved (there is no override). A changed number or date voids an earlier evidence check: the scans were
    checked against them, and on scans alone the stated date is what dates the result (re-dated to the enrolment,
    a checked old certificate would be approved on a check that saw another date)."""
    require(actor, "subsidy.claim", item.enrolment)
    if item.status != ClaimStatus.claimed:
        raise Conflict(_("这份补贴申请已经审核，不能再修改。"), code="already_decided")
    number = certificate_number.strip()
    errors = _number_and_date(number, attained_on)
    if errors:
        raise Invalid(_("补贴申请有误，请按提示修改。"), fields=errors)
    values: dict[str, object] = {"certificate_number": number, "attained_on": attained_on}
    if (claim_checks.normalise(number) != claim_checks.normalise(item.certificate_number)
            or attained_on != item.attained_on):
        values.update(evidence_checked_by_id=None, evidence_checked_at=None, evidence_check_note="")
    moved = cast(CursorResult[Any], session.execute(
        update(SubsidyClaim).where(SubsidyClaim.id == item.id, SubsidyClaim.status == ClaimStatus.claimed)
        .values(**values).execution_options(synchronize_session=False))).rowcount
    if moved != 1:  # decided meanwhile: what the reviewer approved stays as it was
        raise Conflict(_("这份补贴申请已经审核，不能再修改。"), code="already_decided")
    session.refresh(item)
    claim_checks.amended(session, actor, item)  # the corrector may not approve it (claim_checks.claimants)
    return item


def _number_and_date(number: str, attained_on: date | None) -> dict[str, str]:
    errors = {}
    if not claim_checks.normalise(number) or len(number) > 100:
        errors["certificate_number"] = _("请填写毕业证书或职业资格（技能等级）证书编号。")
    elif not is_certificate_number(number):  # "第ZJ-1号" or a Greek Ζ would be a second number for one result
        errors["certificate_number"] = _("证书编号只能包含英文字母和数字（可用空格或“-”分隔），请按证书上的编号填写。")
    if attained_on is not None and attained_on > beijing_today():
        errors["attained_on"] = _("取得日期不能晚于今天（北京时间 %(today)s）。", today=beijing_today().isoformat())
    return errors


def _top_up(session: Session, plan_id: int, org: Organisation | None) -> int:
    if org is None:
        return 0
    return session.scalar(select(Quota.top_up_yuan).where(Quota.plan_id == plan_id, Quota.org_id == org.id)) or 0


def decide(session: Session, actor: User, item: SubsidyClaim, approve: bool, comment: str = "") -> SubsidyClaim:
    """Approve (only on a record that agrees with the claim, or checked uploads; never a result already paid
    for, see programme/money/claim_checks.py) or refuse with a reason. The move out of "claimed" is a conditional
    UPDATE, so a claim is decided once even when two reviewers press at the same moment."""
    claim_checks.not_the_claimant(actor, item)  # first, so the refusal says why
    require(actor, "subsidy.verify", item)
    comment = strip_markup(comment.strip())
    if not approve and not comment:
        raise Invalid(_("不予补贴时请写明理由。"), fields={"comment": _("请填写理由。")})
    if item.status != ClaimStatus.claimed:
        raise Conflict(_("这份补贴申请已经审核过。"), code="already_decided")
    values: dict[str, object] = {"status": ClaimStatus.approved if approve else ClaimStatus.rejected,
                                 "comment": comment, "verified_by_id": actor.id, "verified_at": utcnow()}
    # the move goes through only on what was read: a correction (number, date) filed meanwhile stops it
    unchanged = [SubsidyClaim.id == item.id, SubsidyClaim.status == ClaimStatus.claimed,
                 SubsidyClaim.certificate_number == item.certificate_number,
                 SubsidyClaim.attained_on.is_(None) if item.attained_on is None
                 else SubsidyClaim.attained_on == item.attained_on]
    if approve:
        claim_checks.hold_result(session, item)  # before anything paid is read: a second approval reads after this
        found = claim_checks.basis(session, item)
        if found.record is None:  # on scans: and the check that was read (a file added meanwhile voids it)
            unchanged.append(SubsidyClaim.evidence_checked_at == item.evidence_checked_at)
        application = item.enrolment.application
        county = application.county
        values.update(province_part=application.plan.standard(item.attainment),
                      county_part=_top_up(session, application.plan_id, county),
                      city_part=_top_up(session, application.plan_id, county.parent), result_key=found.key,
                      graduation_id=found.record.id if isinstance(found.record, GraduationRecord) else None,
                      certificate_id=found.record.id if isinstance(found.record, CertificateRecord) else None)
    try:
        with session.begin_nested():
            moved = cast(CursorResult[Any], session.execute(update(SubsidyClaim).where(*unchanged)
                .values(**values).execution_options(synchronize_session=False))).rowcount
            if moved != 1:
                raise Conflict(_("这份补贴申请已经审核过，或刚被申请人更正、补充了材料，请刷新后再审。"),
                               code="already_decided")
            if approve:  # the enterprise's budget is taken only with the approval, in its savepoint
                _enterprise_part(session, item)
    except IntegrityError:  # another approval consumed the same result first
        raise Conflict(_("这项成果（证书编号 %(no)s）已获得补贴，不能重复补贴。", no=item.certificate_number),
                       code="already_subsidised") from None
    session.refresh(item)
    notifications.notify(session, item.enrolment.application.user_id, SUBSIDY,
                         _("你的补贴申请已通过审核") if approve else _("你的补贴申请未通过审核"), "/programme/mine",
                         comment)
    return item


def _enterprise_part(session: Session, item: SubsidyClaim) -> None:
    """The worker's enterprise's own top-up (programme/enterprises/topups.py), from its budget while it lasts."""
    application = item.enrolment.application
    enterprise, part = topups.commit_for(session, application.user_id, application.plan_id, item.attainment.value)
    session.execute(update(SubsidyClaim).where(SubsidyClaim.id == item.id).values(
        enterprise_id=enterprise.id if enterprise is not None else None, enterprise_part=part)
        .execution_options(synchronize_session=False))


def pay(session: Session, actor: User, plan: Plan, county: Organisation, claim_ids: list[int],
        paid_on: date) -> PaymentBatch:
    """Pay approved claims of one county as one dated batch; any claim already paid stops the whole batch. The
    date is checked for every caller: not after today, nor before a claim's approval (Beijing days)."""
    require(actor, "subsidy.pay", county)
    if not claim_ids:
        raise Invalid(_("请至少选择一份已核准的补贴申请。"), fields={"claims": _("请选择。")})
    _not_in_future(paid_on)
    with session.begin_nested():  # all of the batch or none of it
        batch = PaymentBatch(plan_id=plan.id, org_id=county.id, paid_on=paid_on, created_by_id=actor.id)
        session.add(batch)
        session.flush()
        for claim_id in sorted(set(claim_ids)):
            item = get(session, claim_id)
            application = item.enrolment.application
            if application.county_id != county.id or application.plan_id != plan.id:
                raise Invalid(_("第 %(n)d 号申请不属于本县（市、区）本年度。", n=claim_id), code="wrong_county")
            if application.user_id == actor.id:  # approved by another, but paid out by no one to themselves
                raise Forbidden(_("第 %(n)d 号申请是您本人的，请由其他工作人员支付。", n=claim_id), code="own_claim")
            _not_before_approval(item, paid_on)
            _pay_one(session, batch, item, paid_on)
    return batch


def _not_in_future(paid_on: date) -> None:
    """A batch records money already paid out, so it is dated today at the latest (Beijing's today)."""
    today = beijing_today()
    if paid_on > today:
        raise Invalid(_("发放日期不能晚于今天（北京时间 %(today)s）。", today=today.isoformat()), code="future_date",
                      fields={"paid_on": _("日期有误。")})


def _not_before_approval(item: SubsidyClaim, paid_on: date) -> None:
    """Nothing is paid before the union approved the amount: the approval's Beijing day is the earliest date."""
    if item.verified_at is None or item.status != ClaimStatus.approved:
        return  # not approved: _pay_one refuses it as such
    approved_on = local_day(item.verified_at)
    if paid_on < approved_on:
        raise Invalid(_("第 %(n)d 号申请于 %(day)s 核准，发放日期不能早于核准日期。", n=item.id,
                        day=approved_on.isoformat()), code="paid_before_approval", fields={"paid_on": _("日期有误。")})


def _pay_one(session: Session, batch: PaymentBatch, item: SubsidyClaim, paid_on: date) -> None:
    moved = cast(CursorResult[Any], session.execute(
        update(SubsidyClaim).where(SubsidyClaim.id == item.id, SubsidyClaim.status == ClaimStatus.approved)
        .values(status=ClaimStatus.paid).execution_options(synchronize_session=False))).rowcount
    if moved != 1:
        raise Conflict(_("第 %(n)d 号申请已支付或尚未核准，不能重复支付。", n=item.id), code="already_paid")
    payment = SubsidyPayment(claim_id=item.id, batch_id=batch.id, amount=item.amount, paid_on=paid_on)
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        raise Conflict(_("第 %(n)d 号申请已支付，不能重复支付。", n=item.id), code="already_paid") from None
    quotas.spend(session, batch.plan_id, batch.org_id, item.province_part)
    funds.post_payment(session, batch, payment)  # the county's ledger, refused beyond what it holds
    session.refresh(item)


@dataclass
class Spending:
    """Money in one union's region: province money received and passed on, and subsidies paid in it."""

    org: Organisation
    budget: int
    handed_out: int
    province_paid: int
    city_top_ups: int
    county_top_ups: int
    top_up_rate: int

    @property
    def total_paid(self) -> int:
        return self.province_paid + self.city_top_ups + self.county_top_ups


def spending(session: Session, plan: Plan, org: Organisation) -> Spending:
    row = quotas.quota_of(session, plan, org)
    paid = session.execute(
        select(func.coalesce(func.sum(SubsidyClaim.province_part), 0),
               func.coalesce(func.sum(SubsidyClaim.city_part), 0),
               func.coalesce(func.sum(SubsidyClaim.county_part), 0))
        .join(EnrolmentRecord, EnrolmentRecord.id == SubsidyClaim.enrolment_id)
        .join(Application, Application.id == EnrolmentRecord.application_id)
        .join(Organisation, Organisation.id == Application.county_id)
        .where(Application.plan_id == plan.id, SubsidyClaim.status == ClaimStatus.paid,
               Organisation.path.startswith(org.path))).one()
    return Spending(org, row.budget_yuan if row else 0, row.budget_handed_out if row else 0, int(paid[0]),
                    int(paid[1]), int(paid[2]), row.top_up_yuan if row else 0)


def for_unions(session: Session, unions: list[Organisation], status: ClaimStatus | None = None) -> list[SubsidyClaim]:
    if not unions:
        return []
    query = (select(SubsidyClaim).join(EnrolmentRecord).join(Application)
             .join(Organisation, Organisation.id == Application.county_id)
             .where(or_(*[Organisation.path.startswith(u.path) for u in unions])))
    if status is not None:
        query = query.where(SubsidyClaim.status == status)
    return list(session.scalars(query.order_by(SubsidyClaim.id)))


def mine(session: Session, worker: User) -> list[SubsidyClaim]:
    return list(session.scalars(select(SubsidyClaim).join(EnrolmentRecord)
                                .where(EnrolmentRecord.user_id == worker.id).order_by(SubsidyClaim.id.desc())))


def for_enrolments(session: Session, enrolment_ids: list[int]) -> dict[int, list[SubsidyClaim]]:
    found: dict[int, list[SubsidyClaim]] = {}
    for item in session.scalars(select(SubsidyClaim).where(SubsidyClaim.enrolment_id.in_(enrolment_ids))
                                .order_by(SubsidyClaim.id)):
        found.setdefault(item.enrolment_id, []).append(item)
    return found


def batches(session: Session, plan: Plan, county: Organisation) -> list[PaymentBatch]:
    return list(session.scalars(select(PaymentBatch).where(PaymentBatch.plan_id == plan.id,
                                                           PaymentBatch.org_id == county.id)
                                .order_by(PaymentBatch.paid_on.desc())))
