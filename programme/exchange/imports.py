"""Data exchange (数据交换): institutions send admission and graduation results, the HR department sends
skill-level certificates, as CSV or XLSX. Files are read by the kernel's reader (app/tabular.py: encodings,
XLSX, header aliases, size, unpacked size, row, column and time limits) and reported the same way: every problem as
(row, column, message); nothing written when any row is wrong unless `valid_only`.

Rows are matched to workers by ID number (WorkerProfile.id_number); a row for someone without an account
is kept unmatched, so the record is there when the worker signs up. A row about the importer themselves, or
(for a department) about a worker placed only outside its area, is refused (programme/exchange/areas.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import organisations, scope
from app.accounts.models import Organisation, OrgKind, WorkerProfile
from app.accounts.policy import is_admin, require
from app.errors import Invalid
from app.sanitize import clean_text
from app.tabular import DEFAULT_LIMITS, TableLimits, csv_bytes, read_rows
from app.text import id_number_form, is_id_number
from app.timefmt import beijing_today
from catalog.imports import ImportReport, RowError
from programme.admissions import applications
from programme.admissions.models import Application, AppStatus, Offering
from programme.exchange import areas
from programme.exchange.models import CertificateRecord, ExchangeBatch, ExchangeKind, GraduationRecord

LEVELS = {"专科": "zhuanke", "大专": "zhuanke", "高起本": "gaoqiben", "专升本": "zhuanshengben",
          "zhuanke": "zhuanke", "gaoqiben": "gaoqiben", "zhuanshengben": "zhuanshengben"}
SKILL_LEVELS = {"高级技师": 1, "技师": 2, "高级工": 3, "中级工": 4, "初级工": 5,
                "一级": 1, "二级": 2, "三级": 3, "四级": 4, "五级": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
COMMON_ALIASES = {"身份证号": "id_number", "身份证号码": "id_number", "姓名": "name"}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")


def parse_date(value: str) -> date | None:
    """2025-06-30, 2025/6/30, 2025年6月30日, or an Excel date cell (2025-06-30 00:00:00)."""
    match = _DATE.match(value.strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _person(raw: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    id_number = id_number_form(raw.get("id_number"))
    if not is_id_number(id_number):
        errors["id_number"] = _("身份证号码不正确（18位，校验位要对）。")
    name = clean_text(raw.get("name"))
    if not name or len(name) > 50:
        errors["name"] = _("请填写姓名（最多50字）。")
    return {"id_number": id_number, "name": name}


def _text(raw: dict[str, str], column: str, errors: dict[str, str], limit: int) -> str:
    value = clean_text(raw.get(column))
    if not value or len(value) > limit:
        errors[column] = _("必填，最多%(n)d字。", n=limit)
    return value


def _day(raw: dict[str, str], column: str, errors: dict[str, str]) -> date | None:
    """A date no later than today in Beijing (a result cannot be dated in the future)."""
    value = parse_date(raw.get(column, ""))
    if value is None:
        errors[column] = _("日期应为 年-月-日（如 2025-06-30），且不能晚于今天。")
    elif value > beijing_today():
        errors[column] = _("日期 %(day)s 晚于今天（北京时间 %(today)s），请核对。", day=value.isoformat(),
                           today=beijing_today().isoformat())
    return value


def _graduation(raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values = _person(raw, errors)
    values["level"] = LEVELS.get(raw.get("level", "").strip().lower())
    if values["level"] is None:
        errors["level"] = _("层次应为 专科、高起本 或 专升本。")
    values["major"] = _text(raw, "major", errors, 100)
    values["diploma_no"] = _text(raw, "diploma_no", errors, 64)
    values["graduated_on"] = _day(raw, "graduated_on", errors)
    return values, errors


def _certificate(raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values = _person(raw, errors)
    values["occupation"] = _text(raw, "occupation", errors, 100)
    values["skill_level"] = SKILL_LEVELS.get(raw.get("skill_level", "").strip())
    if values["skill_level"] is None:
        errors["skill_level"] = _("等级应为 高级技师、技师、高级工、中级工、初级工（或 1–5 级）。")
    values["certificate_no"] = _text(raw, "certificate_no", errors, 64)
    values["issued_on"] = _day(raw, "issued_on", errors)
    return values, errors


ADMIT_WORDS = {"录取": True, "已录取": True, "是": True, "admitted": True, "yes": True,
               "不录取": False, "未录取": False, "否": False, "rejected": False, "no": False}


def _open_application(session: Session, org: Organisation, id_number: str, major: str) -> tuple[Any, str]:
    """The worker's application to one of `org`'s offerings that awaits admission or enrolment, or why not."""
    query = (select(Application).join(Offering, Offering.id == Application.offering_id)
             .join(WorkerProfile, WorkerProfile.user_id == Application.user_id)
             .where(WorkerProfile.id_number == id_number, Offering.institution_id == org.id,
                    Application.status.in_([AppStatus.verified, AppStatus.admitted])))
    if major:
        query = query.where(Offering.major == major)
    found = list(session.scalars(query.limit(2)))
    if not found:
        return None, _("没有该职工在本校待录取的报读申请（须先经县级工会审核通过）。")
    if len(found) > 1:
        return None, _("该职工有多份待录取的申请，请填写“专业”列加以区分。")
    return found[0], ""


def _admission(session: Session, org: Organisation, raw: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values = _person(raw, errors)
    values["admit"] = ADMIT_WORDS.get(raw.get("result", "").strip().lower())
    if values["admit"] is None:
        errors["result"] = _("结果应为 录取 或 不录取。")
    values["note"] = clean_text(raw.get("note"))[:500]
    if values["admit"] is False and not values["note"]:
        errors["note"] = _("不录取时请写明理由。")
    values["student_number"] = clean_text(raw.get("student_number"))
    if len(values["student_number"]) > 50:
        errors["student_number"] = _("学号最多50个字符。")
    values["enrolled_on"] = beijing_today()
    if raw.get("enrolled_on", "").strip():
        values["enrolled_on"] = _day(raw, "enrolled_on", errors)
    if "id_number" in errors:
        return values, errors
    application, problem = _open_application(session, org, values["id_number"], clean_text(raw.get("major")))
    if problem:
        errors["id_number"] = problem
    elif application.status == AppStatus.admitted and not (values["admit"] and values["student_number"]):
        errors["result"] = _("已录取；如需注册学籍请填写学号。")
    elif values["admit"] and values["student_number"] and "enrolled_on" not in errors:
        try:  # reported on its row, as the other fields are, rather than refusing the whole file later
            applications.check_enrolment_date(application, values["enrolled_on"])
        except Invalid as err:
            errors["enrolled_on"] = err.message
    values["application"] = application
    return values, errors


def _admit(session: Session, actor: Any, good: list[dict[str, Any]]) -> None:
    """Admit or refuse through the applications service (its permission check and quota release included),
    then open the enrolment record when a student number is given."""
    for values in good:
        application = values["application"]
        if application.status == AppStatus.verified:
            applications.admit(session, actor, application, values["admit"], values["note"])
        if values["admit"] and values["student_number"]:
            applications.enrol(session, actor, application, values["student_number"], values["enrolled_on"])


def _insert(session: Session, actor: Any, org: Organisation, batch: ExchangeBatch, model: type,
            good: list[dict[str, Any]]) -> None:
    """Graduations and certificates: new rows, matched to workers by ID number."""
    users = dict(session.execute(select(WorkerProfile.id_number, WorkerProfile.user_id).where(
        WorkerProfile.id_number.in_([v["id_number"] for v in good]))).all())
    extra = {_sender(model): org.id}
    session.add_all([model(batch_id=batch.id, user_id=users.get(v["id_number"]), **extra, **v) for v in good])


@dataclass(frozen=True)
class Spec:
    kind: ExchangeKind
    sender: OrgKind                     # who may send this kind of file
    required: tuple[str, ...]
    aliases: dict[str, str]
    validate: Callable[[Session, Organisation, dict[str, str]], tuple[dict[str, Any], dict[str, str]]]
    unique: str                         # no two rows repeat it, nor (with a model) one imported before; see _duplicates
    model: type | None = None
    optional: tuple[str, ...] = ()


SPECS = {
    ExchangeKind.admission: Spec(
        ExchangeKind.admission, OrgKind.institution, ("id_number", "name", "result"),
        {**COMMON_ALIASES, "录取结果": "result", "结果": "result", "专业": "major", "学号": "student_number",
         "注册日期": "enrolled_on", "入学日期": "enrolled_on", "备注": "note", "不录取理由": "note"},
        _admission, "id_number", optional=("major", "student_number", "enrolled_on", "note")),
    ExchangeKind.graduation: Spec(
        ExchangeKind.graduation, OrgKind.institution,
        ("id_number", "name", "level", "major", "diploma_no", "graduated_on"),
        {**COMMON_ALIASES, "层次": "level", "专业": "major", "毕业证书编号": "diploma_no", "证书编号": "diploma_no",
         "毕业日期": "graduated_on"}, lambda _s, _o, raw: _graduation(raw), "diploma_no", GraduationRecord),
    ExchangeKind.certificate: Spec(
        ExchangeKind.certificate, OrgKind.hr_dept,
        ("id_number", "name", "occupation", "skill_level", "certificate_no", "issued_on"),
        {**COMMON_ALIASES, "职业": "occupation", "工种": "occupation", "职业（工种）": "occupation",
         "等级": "skill_level", "技能等级": "skill_level", "证书编号": "certificate_no", "发证日期": "issued_on"},
        lambda _s, _o, raw: _certificate(raw), "certificate_no", CertificateRecord),
}


SAMPLES = {
    ExchangeKind.admission: ["33010619900101123X", "张三", "录取", "机电一体化技术", "2025330001", "2025-09-01", ""],
    ExchangeKind.graduation: ["33010619900101123X", "张三", "专科", "机电一体化技术", "1234512025000001", "2025-06-30"],
    ExchangeKind.certificate: ["33010619900101123X", "张三", "电工", "高级工", "S000033000001253000001", "2025-05-20"],
}


def senders_for(session: Session, actor: Any) -> list[Organisation]:
    """The institutions and HR departments the actor may import files for; admins may for all of them."""
    if is_admin(actor):
        return organisations.of_kinds(session, (OrgKind.institution, OrgKind.hr_dept))
    return scope.orgs_of(actor, action="exchange.import")


def template_csv(kind: ExchangeKind) -> bytes:
    """A file to fill in: the column names and one example row, UTF-8 with BOM so Excel opens it right."""
    return csv_bytes([SPECS[kind].required + SPECS[kind].optional, SAMPLES[kind]])


def kinds_for(org: Organisation) -> list[ExchangeKind]:
    return [kind for kind, spec in SPECS.items() if spec.sender == org.kind]


def _sender(model: type) -> str:
    """The column naming whose number a record's is: a diploma's institution, a certificate's sending department
    (the importing organisation either way)."""
    return "institution_id" if model is GraduationRecord else "org_id"


def _duplicates(session: Session, spec: Spec, org: Organisation, rows: list[tuple[int, dict[str, Any]]],
                written: dict[str, str], report: ImportReport) -> list[dict[str, Any]]:
    """Drop rows whose key repeats one earlier in the file or one already imported, reporting each. A diploma
    number repeats only within its institution, a certificate number within its department: another sender's
    record (perhaps squatting the number) is no reason to refuse the issuer's own."""
    known: set[Any] = set()
    if spec.model is not None:
        column = getattr(spec.model, spec.unique)
        known = set(session.scalars(select(column).where(column.in_([v[spec.unique] for _n, v in rows]),
                                                         getattr(spec.model, _sender(spec.model)) == org.id)))
    good = []
    for number, values in rows:
        if values[spec.unique] in known:
            report.errors.append(RowError(number, written.get(spec.unique, spec.unique),
                                          _("%(no)s 已导入过或在文件中重复。", no=values[spec.unique])))
            continue
        known.add(values[spec.unique])
        good.append(values)
    return good


def _refused(session: Session, actor: Any, org: Organisation, rows: list[tuple[int, dict[str, Any]]],
             written: dict[str, str], report: ImportReport) -> list[tuple[int, dict[str, Any]]]:
    """Drop rows about the importer themselves (nobody makes the evidence for their own subsidy) and, for a
    department, rows about workers placed only outside its area; each reported on its ID number."""
    own, area = areas.own_id_number(actor), areas.area_of(org)
    far = areas.workers_outside(session, area, {v["id_number"] for _n, v in rows}) if area is not None else set()
    kept = []
    for number, values in rows:
        problem = (areas.own_message() if own and values["id_number"] == own
                   else areas.outside_message(area) if area is not None and values["id_number"] in far else "")
        if problem:
            report.errors.append(RowError(number, written.get("id_number", "id_number"), problem))
        else:
            kept.append((number, values))
    return kept


def import_file(session: Session, actor: Any, org: Organisation, kind: str, data: bytes, filename: str = "", *,
                valid_only: bool = False, limits: TableLimits = DEFAULT_LIMITS) -> ImportReport:
    """Check every row, then write the good ones (all or, with `valid_only`, those without problems)."""
    spec = SPECS.get(kind)  # type: ignore[call-overload]
    if spec is None or spec.sender != org.kind:
        raise Invalid(_("这个单位不能导入这类数据。"), code="wrong_kind", fields={"kind": _("请选择数据类型。")})
    require(actor, "exchange.import", org)
    written, rows = read_rows(data, filename, limits=limits, fields=spec.required + spec.optional,
                              aliases=spec.aliases, required=spec.required)
    report, checked = ImportReport(rows=len(rows)), []
    for number, raw in rows:
        values, errors = spec.validate(session, org, raw)
        report.errors += [RowError(number, written.get(c, c), m) for c, m in errors.items()]
        if not errors:
            checked.append((number, values))
    kept = _refused(session, actor, org, checked, written, report)
    good = _duplicates(session, spec, org, kept, written, report)
    report.errors.sort(key=lambda e: e.row)
    if report.errors and not valid_only:
        return report
    batch = ExchangeBatch(kind=spec.kind, org_id=org.id, filename=filename[:200], rows=len(rows), imported=len(good),
                          imported_by_id=getattr(actor, "id", None))
    session.add(batch)
    session.flush()
    if spec.model is not None:
        _insert(session, actor, org, batch, spec.model, good)
    else:
        _admit(session, actor, good)
    session.flush()
    report.imported = len(good)
    return report


def batches(session: Session, orgs: list[Organisation], limit: int = 20) -> list[ExchangeBatch]:
    return list(session.scalars(select(ExchangeBatch).where(ExchangeBatch.org_id.in_([o.id for o in orgs]))
                                .order_by(ExchangeBatch.created_at.desc(), ExchangeBatch.id.desc()).limit(limit)))
