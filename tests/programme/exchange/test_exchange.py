"""Data exchange: graduation results from institutions and skill certificates from the HR department,
CSV (UTF-8 or GB18030) or XLSX, every bad row reported with its column, nothing written unless all rows
are good (or valid_only), no number imported twice, rows matched to workers by ID number."""

import io
from datetime import date

import pytest
from openpyxl import Workbook

from app.accounts import organisations, profiles, service
from app.accounts.models import OrgKind, Role
from app.accounts.policy import SYSTEM
from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from app.timefmt import beijing_today
from programme.exchange import imports as exchange
from programme.exchange.models import CertificateRecord, ExchangeBatch, GraduationRecord
from tests import factories
from tests.conftest import csrf_token

ID_A, ID_B = "33010619900101123X", "330106198505054562"
GRAD_HEADER = "身份证号,姓名,层次,专业,毕业证书编号,毕业日期\n"


def hr_department():
    org = organisations.create_organisation(_db.session, SYSTEM, parent_code="330000", code="HR-ZJ",
                                            name="浙江省人力资源和社会保障厅", kind=OrgKind.hr_dept)
    staff = factories.user()
    service.grant_role(_db.session, staff, Role.union_staff, org)  # the role org_views gives department staff
    return org, staff


def grads(db):
    return db.session.query(GraduationRecord).order_by(GraduationRecord.id).all()


def test_graduation_rows_are_checked_all_at_once_and_nothing_written(db):
    inst, staff = organisations.get_by_code(db.session, "INST-T1"), factories.user("institution_staff")
    data = (GRAD_HEADER + f"{ID_A},张三,专科,机电一体化,D-1,2025-06-30\n"
            "330106199001011234,,博士,,D-2,2025-13-01\n"
            f"{ID_B},李四,专升本,会计,D-1,2099-01-01\n").encode("gb18030")
    report = exchange.import_file(db.session, staff, inst, "graduation", data, "g.csv")
    assert report.rows == 3 and report.imported == 0 and report.bad_rows == 2
    assert {(e.row, e.column) for e in report.errors} == {
        (3, "身份证号"), (3, "姓名"), (3, "层次"), (3, "专业"), (3, "毕业日期"), (4, "毕业日期")}
    assert grads(db) == [] and db.session.query(ExchangeBatch).count() == 0


def test_valid_rows_import_match_workers_and_never_twice(db):
    inst, staff = organisations.get_by_code(db.session, "INST-T1"), factories.user("institution_staff")
    worker = factories.user()
    profiles.update_profile(db.session, worker, worker, {"id_number": ID_A})
    data = (GRAD_HEADER + f"{ID_A},张三,专科,机电一体化,D-1,2025/6/30\n{ID_B},李四,专升本,会计,D-1,2025-06-30\n"
            f"{ID_B},李四,高起本,会计,D-2,2025年6月30日\n").encode()
    report = exchange.import_file(db.session, staff, inst, "graduation", data, "g.csv", valid_only=True)
    assert report.imported == 2 and [(e.row, e.column) for e in report.errors] == [(3, "毕业证书编号")]
    rows = grads(db)
    assert [(r.diploma_no, r.user_id, r.level, r.institution_id) for r in rows] == [
        ("D-1", worker.id, "zhuanke", inst.id), ("D-2", None, "gaoqiben", inst.id)]
    again = exchange.import_file(db.session, staff, inst, "graduation", data, "g.csv")
    assert again.imported == 0 and again.bad_rows == 3 and len(grads(db)) == 2
    batch = db.session.query(ExchangeBatch).one()
    assert (batch.rows, batch.imported, batch.filename) == (3, 2, "g.csv")


def test_certificates_from_xlsx_by_the_hr_department_only(db):
    org, staff = hr_department()
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "职业（工种）", "技能等级", "证书编号", "发证日期"])
    from datetime import datetime

    sheet.append([ID_A, "张三", "电工", "高级工", "C-1", datetime(2025, 5, 1)])
    sheet.append([ID_B, "李四", "焊工", "六级", "C-2", "2025-05-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = exchange.import_file(db.session, staff, org, "certificate", buffer.getvalue(), "c.xlsx",
                                  valid_only=True)
    assert report.imported == 1 and [(e.row, e.column) for e in report.errors] == [(3, "技能等级")]
    record = db.session.query(CertificateRecord).one()
    assert (record.skill_level, record.occupation, str(record.issued_on)) == (3, "电工", "2025-05-01")
    for outsider in (factories.user("institution_staff"), factories.user("union_staff", "330000"), factories.user()):
        with pytest.raises(Forbidden):
            exchange.import_file(db.session, outsider, org, "certificate", buffer.getvalue(), "c.xlsx")
    with pytest.raises(Invalid):  # an HR department does not send graduations
        exchange.import_file(db.session, staff, org, "graduation", buffer.getvalue(), "c.xlsx")


def test_file_level_problems_are_refused_clearly(db):
    inst, staff = organisations.get_by_code(db.session, "INST-T1"), factories.user("institution_staff")
    for data, code in ((b"", "empty_file"), (b"\xff\xfe\x00a\x00b", "bad_encoding"),
                       ("姓名,专业\n张三,会计\n".encode(), "missing_columns")):
        with pytest.raises(Invalid) as err:
            exchange.import_file(db.session, staff, inst, "graduation", data, "x.csv")
        assert err.value.code == code
    with pytest.raises(Forbidden):
        exchange.import_file(db.session, factories.user("institution_staff", "INST-T2"), inst, "graduation",
                             GRAD_HEADER.encode(), "x.csv")


def test_upload_page_reports_errors_and_imports(app, client, auth):
    auth.as_role("institution_staff")
    assert client.get("/exchange").status_code == 200
    template = client.get("/exchange/template/graduation.csv")
    assert template.status_code == 200 and "diploma_no" in template.get_data(as_text=True)
    assert client.get("/exchange/template/nope.csv").status_code == 404
    bad = (GRAD_HEADER + "1,,专科,会计,D-9,2025-06-30\n").encode()
    token = csrf_token(client, "/exchange")
    response = client.post("/exchange", data={"csrf_token": token, "org": "INST-T1", "kind": "graduation",
                                              "file": (io.BytesIO(bad), "g.csv")})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "身份证号码不正确" in page and "没有导入" in page
    good = (GRAD_HEADER + f"{ID_A},张三,专科,会计,D-9,2025-06-30\n").encode()
    response = client.post("/exchange", data={"csrf_token": token, "org": "INST-T1", "kind": "graduation",
                                              "file": (io.BytesIO(good), "g.csv")})
    assert response.status_code == 302
    with app.app_context():
        assert _db.session.query(GraduationRecord).count() == 1


def test_templates_import_as_they_are(db):
    """The downloadable template with its example row is itself a valid file."""
    inst, staff = organisations.get_by_code(db.session, "INST-T1"), factories.user("institution_staff")
    report = exchange.import_file(db.session, staff, inst, "graduation",
                                  exchange.template_csv(exchange.ExchangeKind.graduation), "t.csv")
    assert report.errors == [] and report.imported == 1
    org, hr_staff = hr_department()
    report = exchange.import_file(db.session, hr_staff, org, "certificate",
                                  exchange.template_csv(exchange.ExchangeKind.certificate), "t.csv")
    assert report.errors == [] and report.imported == 1


ADMIT_HEADER = "身份证号,姓名,录取结果,专业,学号,注册日期,不录取理由\n"


def test_admission_results_admit_enrol_or_refuse_through_the_application_rules(db):
    from programme.admissions import applications
    from programme.admissions.models import AppStatus, EnrolmentRecord
    from tests.programme.reporting.test_reports import eligible_worker, programme_world

    world = programme_world(ID_A)
    other = eligible_worker(ID_B)
    pending = applications.apply(db.session, other, world["offering"], date(2026, 6, 2))
    inst, staff = organisations.get_by_code(db.session, "INST-T1"), factories.user("institution_staff")
    data = (ADMIT_HEADER + f"{ID_A},赵六,录取,机电一体化技术,S-1,{beijing_today().isoformat()},\n"  # admitted today
            f"{ID_B},赵六,录取,,,,\n"                       # the county has not verified yet
            "110105194912310021,某人,不录取,,,,\n"          # a wrong ID number (and no reason)
            f"{ID_A},赵六,待定,,,,\n").encode()
    report = exchange.import_file(db.session, staff, inst, "admission", data, "a.csv")
    assert report.imported == 0 and {(e.row, e.column) for e in report.errors} == {
        (3, "身份证号"), (4, "身份证号"), (4, "不录取理由"), (5, "录取结果")}
    assert "县级工会审核" in report.errors[0].message
    assert world["application"].status == AppStatus.verified  # nothing done
    report = exchange.import_file(db.session, staff, inst, "admission", data, "a.csv", valid_only=True)
    assert report.imported == 1
    db.session.refresh(world["application"])
    assert world["application"].status == AppStatus.enrolled and pending.status == AppStatus.applied
    assert db.session.query(EnrolmentRecord).one().student_number == "S-1"
    again = exchange.import_file(db.session, staff, inst, "admission", data, "a.csv")
    assert again.imported == 0 and any(e.row == 2 for e in again.errors)  # never admitted twice
    with pytest.raises(Forbidden):  # another institution cannot send results for this one
        exchange.import_file(db.session, factories.user("institution_staff", "INST-T2"), inst, "admission", data)


def test_a_refusal_frees_the_county_place(db):
    from programme.admissions import quotas
    from programme.admissions.models import AppStatus
    from tests.programme.reporting.test_reports import programme_world

    world = programme_world(ID_A)
    county = organisations.get_by_code(db.session, "330106")
    used = quotas.quota_of(db.session, world["plan"], county).used
    data = (ADMIT_HEADER + f"{ID_A},赵六,不录取,,,,入学考试未通过\n").encode()
    report = exchange.import_file(db.session, factories.user("institution_staff"),
                                  organisations.get_by_code(db.session, "INST-T1"), "admission", data, "a.csv")
    assert report.errors == [] and report.imported == 1
    db.session.refresh(world["application"])
    assert world["application"].status == AppStatus.rejected and world["application"].note == "入学考试未通过"
    db.session.expire_all()
    assert quotas.quota_of(db.session, world["plan"], county).used == used - 1


def test_the_exchange_upload_refuses_xlsx_bombs_like_the_catalog_import(app, client, auth, db):
    """The same reader as the catalog import (app/tabular.py): a 300 MB zip bomb (300 KB uploaded) and an
    entity bomb are refused with a message, and nothing is written."""
    from tests.catalog import xlsx_bombs

    inst, staff = organisations.get_by_code(db.session, "INST-T1"), factories.user("institution_staff")
    for data, code in ((xlsx_bombs.zeros_bomb(300), "xlsx_too_large"), (xlsx_bombs.entity_sheet(), "xlsx_unsafe")):
        with pytest.raises(Invalid) as err:
            exchange.import_file(db.session, staff, inst, "graduation", data, "g.xlsx")
        assert err.value.code == code and "file" in err.value.fields
    db.session.commit()
    auth.as_role("institution_staff")
    token = csrf_token(client, "/exchange")
    response = client.post("/exchange", data={"csrf_token": token, "org": "INST-T1", "kind": "graduation",
                                              "file": (io.BytesIO(xlsx_bombs.zeros_bomb(150)), "g.xlsx")})
    assert response.status_code == 400 and "Excel 文件解压后太大" in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.query(ExchangeBatch).count() == 0
