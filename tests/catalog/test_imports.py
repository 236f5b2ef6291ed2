"""Bulk import: encodings and formats, the per-cell error report, all-or-nothing by default, the web page
and the command line."""

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.errors import Forbidden, Invalid
from app.tabular import TableLimits
from catalog import imports
from catalog.models import Resource, ResourceStatus
from tests import factories
from tests.conftest import csrf_token

HEADER = ["title", "kind", "summary", "description", "category", "industries", "audience", "credits", "hours",
          "teachers", "external_url", "tags"]
GOOD = [
    ["电工基础", "网络课程", "电路入门", "<p>正文</p><script>x()</script>", "skills-manufacturing", "制造",
     "初级工", "2", "32", "叶林（高级技师）", "https://example.org/a", "电工;入门"],
    ["养老护理", "micro_course", "照护", "", "岗位技能/养老", "养老", "初级工", "", "0.5", "", "", ""],
    ["安全生产", "视频公开课", "安全", "", "安全生产", "", "通用", "1", "2", "", "https://example.org/b", "安全"],
]


def _csv(rows, header=HEADER, encoding="utf-8", bom=False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode(encoding)


def _xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([float(c) if c.replace(".", "", 1).isdigit() else c for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _import(db, data, **kw):
    provider = organisations.get_by_code(db.session, "INST-T1")
    return imports.import_resources(db.session, SYSTEM, provider, data, kw.pop("filename", "f.csv"), **kw)


def _count(db):
    return db.session.scalar(select(func.count(Resource.id))) or 0


@pytest.mark.parametrize(("data", "filename"), [
    (_csv(GOOD), "f.csv"), (_csv(GOOD, bom=True), "f.csv"), (_csv(GOOD, encoding="gb18030"), "f.csv"),
    (_xlsx(GOOD), "f.xlsx"), (_xlsx(GOOD), "no-extension"),
], ids=["utf8", "utf8-bom", "gb18030", "xlsx", "xlsx-by-magic"])
def test_good_files_import_in_every_encoding_and_format(db, data, filename):
    report = _import(db, data, filename=filename)
    assert report.errors == [] and report.imported == 3
    first = db.session.scalar(select(Resource).where(Resource.title == "电工基础"))
    assert first.status == ResourceStatus.draft and first.credits == 2 and first.hours == 32
    assert first.description_html == "<p>正文</p>" and [t.name for t in first.teachers] == ["叶林"]
    assert {t.name for t in first.tags} == {"电工", "入门"} and [c.code for c in first.categories] == [
        "skills-manufacturing"]
    assert first.transitions[0].action == "import"


def test_chinese_headers_work(db):
    header = ["标题", "类型", "简介", "详细介绍", "分类", "行业", "适用对象", "学分", "学时", "教师", "外部链接",
              "标签"]
    assert _import(db, _csv(GOOD, header=header)).imported == 3


def test_each_wrong_cell_is_reported_and_nothing_is_imported(db):
    rows = GOOD + [
        ["", "网络课程", "", "", "skills-energy", "", "", "", "", "", "", ""],                 # row 5: missing title
        ["坏类型", "讲座", "", "", "skills-energy", "", "", "", "", "", "", ""],               # row 6: bad kind
        ["坏分类", "微课", "", "", "不存在的分类", "", "", "", "", "", "", ""],                 # row 7: bad category
        ["坏学分", "微课", "", "", "skills-energy", "", "", "两分", "abc", "", "", ""],        # row 8: credits, hours
    ]
    report = _import(db, _csv(rows))
    assert report.imported == 0 and _count(db) == 0 and report.bad_rows == 4
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(5, "title"), (6, "kind"), (7, "category"), (8, "credits"), (8, "hours")}
    by_cell = {(e.row, e.column): e.message for e in report.errors}
    assert by_cell[(5, "title")] == "请填写标题。" and "不存在的分类" in by_cell[(7, "category")]
    assert "数字" in by_cell[(8, "credits")]


def test_valid_rows_only_when_asked(db):
    rows = GOOD + [["坏类型", "讲座", "", "", "skills-energy", "", "", "", "", "", "", ""]]
    report = _import(db, _csv(rows), valid_only=True)
    assert report.imported == 3 and report.bad_rows == 1 and _count(db) == 3


@pytest.mark.parametrize(("data", "code"), [
    (b"", "empty_file"), (b"   \n", "empty_file"), (_csv([]), "no_rows"),
    ("title,kind\n标题,微课\n".encode("utf-16"), "bad_encoding"),
    (b"title,kind,category\n\xff\xfe\xfa\xfb,x,y\n", "bad_encoding"),
    (b"name,type\nx,y\n", "missing_columns"), (b"PK\x03\x04 not really a zip", "bad_xlsx"),
])
def test_file_level_problems(db, data, code):
    with pytest.raises(Invalid) as err:
        _import(db, data)
    assert err.value.code == code and "file" in err.value.fields


def test_oversize_file_and_too_many_rows(db):
    with pytest.raises(Invalid) as err:
        _import(db, _csv(GOOD * 10), limits=TableLimits(max_bytes=200))
    assert err.value.code == "file_too_large"
    with pytest.raises(Invalid) as err:
        _import(db, _csv(GOOD * 3), limits=TableLimits(max_rows=5))
    assert err.value.code == "too_many_rows"


def test_publishing_needs_the_right_to_review_and_an_external_url(db):
    staff = factories.user("institution_staff", "INST-T1")
    provider = organisations.get_by_code(db.session, "INST-T1")
    with pytest.raises(Forbidden):
        imports.import_resources(db.session, staff, provider, _csv(GOOD), publish=True)
    report = _import(db, _csv(GOOD), publish=True)
    assert [(e.row, e.column) for e in report.errors] == [(3, "external_url")]
    report = _import(db, _csv([GOOD[0], GOOD[2]]), publish=True)
    assert report.published == 2
    published = db.session.scalars(select(Resource)).all()
    assert all(r.status == ResourceStatus.published and r.published_at for r in published)


def test_other_institutions_cannot_import_for_us(db):
    other = factories.user("institution_staff", "INST-T2")
    provider = organisations.get_by_code(db.session, "INST-T1")
    with pytest.raises(Forbidden):
        imports.import_resources(db.session, other, provider, _csv(GOOD))


def test_command_line_import(app, runner, tmp_path):
    path = tmp_path / "resources.csv"
    path.write_bytes(_csv(GOOD, encoding="gb18030"))
    result = runner.invoke(args=["catalog", "import", str(path), "--org", "INST-T1"])
    assert result.exit_code == 0, result.output
    assert "3 imported (0 published)" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([["", "讲座", "", "", "x", "", "", "", "", "", "", ""]]))
    result = runner.invoke(args=["catalog", "import", str(bad), "--org", "INST-T1"])
    assert result.exit_code != 0 and "nothing imported" in result.output
    assert "第2行 [title]" in result.output and "第2行 [kind]" in result.output


def test_web_page_shows_exactly_which_cell_is_wrong(app, client, auth, db):
    auth.as_role("institution_staff", "INST-T1")
    rows = GOOD + [["坏学分", "微课", "", "", "skills-energy", "", "", "两分", "", "", "", ""]]
    token = csrf_token(client, "/catalog/manage/import")
    response = client.post("/catalog/manage/import", data={
        "csrf_token": token, "org": "INST-T1", "file": (io.BytesIO(_csv(rows)), "r.csv")},
        content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ('<td data-label="行">5</td><td data-label="列">credits</td>'
            '<td data-label="问题">应为数字，例如 2 或 1.5。</td>') in body
    assert _count(db) == 0
    response = client.post("/catalog/manage/import", data={
        "csrf_token": token, "org": "INST-T1", "valid_only": "1", "file": (io.BytesIO(_csv(rows)), "r.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200 and _count(db) == 3
