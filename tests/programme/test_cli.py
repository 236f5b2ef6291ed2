"""`qiuxue programme import` and `qiuxue programme report` through Flask's CLI runner: the exchange file's
row-level report printed with a non-zero exit on any error, and the yearly report written as XLSX or PDF."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from app.extensions import db
from app.timefmt import beijing_today
from programme.admissions.models import Application, AppStatus
from programme.exchange.models import CertificateRecord, GraduationRecord
from tests.programme.exchange.test_exchange import ADMIT_HEADER, GRAD_HEADER, ID_A, ID_B, hr_department
from tests.programme.reporting.test_reports import programme_world


def _run(runner, *args: str):
    return runner.invoke(args=["programme", *args])


def test_graduations_import_and_every_bad_row_is_reported_with_exit_1(app, runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes((GRAD_HEADER + f"{ID_A},张三,专科,机电一体化,D-1,2025-06-30\n"
                     "330106199001011234,,博士,,D-2,2025-13-01\n").encode("gb18030"))
    result = _run(runner, "import", str(bad), "--kind", "graduations", "--org", "INST-T1")
    assert result.exit_code == 1 and "nothing imported: 1 of 2 rows have errors" in result.output
    assert "第3行 [身份证号]" in result.output and "第3行 [毕业日期]" in result.output
    with app.app_context():
        assert db.session.query(GraduationRecord).count() == 0
    result = _run(runner, "import", str(bad), "--kind", "graduations", "--org", "INST-T1", "--valid-only")
    assert result.exit_code == 1 and "1 imported, 1 rows with errors skipped" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes((GRAD_HEADER + f"{ID_B},李四,专升本,会计,D-9,2025-06-30\n").encode())
    result = _run(runner, "import", str(good), "--kind", "graduations", "--org", "INST-T1")
    assert result.exit_code == 0, result.output
    assert "1 imported, 0 rows with errors skipped" in result.output
    with app.app_context():
        assert sorted(g.diploma_no for g in db.session.query(GraduationRecord)) == ["D-1", "D-9"]


def test_certificates_from_xlsx_and_admissions_through_the_application_rules(app, runner, tmp_path):
    with app.app_context():
        hr_department()
        world = programme_world(ID_A)
        application_id = world["application"].id
        db.session.commit()
    book = Workbook()
    book.active.append(["身份证号", "姓名", "职业", "等级", "证书编号", "发证日期"])
    book.active.append([ID_A, "张三", "电工", "高级工", "S-1", "2025-05-20"])
    buffer = io.BytesIO()
    book.save(buffer)
    certificates = tmp_path / "certs.xlsx"
    certificates.write_bytes(buffer.getvalue())
    result = _run(runner, "import", str(certificates), "--kind", "certificates", "--org", "HR-ZJ")
    assert result.exit_code == 0, result.output
    admissions = tmp_path / "admit.csv"
    today = beijing_today().isoformat()  # admitted by this file today, so enrolled no earlier
    admissions.write_bytes((ADMIT_HEADER + f"{ID_A},赵六,录取,机电一体化技术,S-1,{today},\n").encode())
    result = _run(runner, "import", str(admissions), "--kind", "admissions", "--org", "INST-T1")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.query(CertificateRecord).one().skill_level == 3
        assert db.session.get(Application, application_id).status == AppStatus.enrolled


def test_import_refuses_a_wrong_kind_org_or_file(app, runner, tmp_path):
    path = tmp_path / "g.csv"
    path.write_bytes(GRAD_HEADER.encode())
    result = _run(runner, "import", str(path), "--kind", "certificates", "--org", "INST-T1")
    assert result.exit_code == 1 and "这个单位不能导入这类数据" in result.output
    result = _run(runner, "import", str(path), "--kind", "graduations", "--org", "NOPE")
    assert result.exit_code == 1
    result = _run(runner, "import", str(path), "--kind", "diplomas", "--org", "INST-T1")
    assert result.exit_code == 2 and "diplomas" in result.output
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not a workbook")
    result = _run(runner, "import", str(junk), "--kind", "graduations", "--org", "INST-T1")
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_report_as_xlsx_and_pdf(app, runner, tmp_path):
    with app.app_context():
        programme_world(ID_A)
        db.session.commit()
    xlsx = tmp_path / "r.xlsx"
    result = _run(runner, "report", "--year", "2026", "--format", "xlsx", "-o", str(xlsx))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(xlsx)["按地区"]
    heads = [c.value for c in sheet[1]]
    column = next(i for i, h in enumerate(heads) if h and h.startswith("报读申请"))
    total = [row for row in sheet.iter_rows(values_only=True) if row[0] == "合计"][0]
    assert total[column] == 1
    pdf = tmp_path / "r.pdf"
    result = _run(runner, "report", "--year", "2026", "--format", "pdf", "-o", str(pdf), "--org", "330100")
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF") and "杭州市" in result.output
    result = _run(runner, "report", "--year", "2026", "--format", "pdf", "-o", str(pdf), "--org", "INST-T1")
    assert result.exit_code == 1 and "not a union" in result.output
    result = _run(runner, "report", "--year", "2026", "--format", "docx", "-o", str(pdf))
    assert result.exit_code == 2
