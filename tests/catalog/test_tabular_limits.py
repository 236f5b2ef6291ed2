"""The kernel's table reader (app/tabular.py) against hostile uploads: zip bombs, lying dimensions, rows a
million lines down, floods of blank rows, XML entity bombs, oversized CSV cells and too many columns.
Each attack gets a clear message with a stable code, and memory stays bounded (tracemalloc's peak while
the file is read, against what reading the bomb would take). Honest big files still import."""

import csv
import io
import tracemalloc

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.tabular import DEFAULT_LIMITS, TableLimits, read_table
from app.text import xml_safe
from catalog import imports
from catalog.models import Resource
from tests.catalog import xlsx_bombs
from tests.conftest import csrf_token, shared_file

MB = 1024 * 1024


def _import(db, data: bytes, filename: str = "f.xlsx", **kw):
    provider = organisations.get_by_code(db.session, "INST-T1")
    return imports.import_resources(db.session, SYSTEM, provider, data, filename, **kw)


def _refused(db, data: bytes, code: str, **kw) -> tuple[Invalid, int]:
    """The import's refusal and the peak of Python memory allocated while reading the file."""
    tracemalloc.start()
    try:
        with pytest.raises(Invalid) as err:
            _import(db, data, **kw)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.code == code, err.value.message
    assert "file" in err.value.fields and err.value.message
    return err.value, peak


def _count(db) -> int:
    return db.session.scalar(select(func.count(Resource.id))) or 0


def test_a_zip_bomb_is_refused_from_the_central_directory(db):
    bomb = xlsx_bombs.zeros_bomb(300)  # 300 MB of zeros in one cell
    assert len(bomb) < MB  # what is uploaded: well under the 10 MB limit
    err, peak = _refused(db, bomb, "xlsx_too_large")
    assert "MB" in err.message and "解压后太大" in err.message
    assert peak < 5 * MB  # reading the cell would take 300 MB
    assert _count(db) == 0


def test_a_part_packed_a_thousandfold_is_refused_even_under_the_size_limit(db):
    bomb = xlsx_bombs.zeros_bomb(20)
    _err, peak = _refused(db, bomb, "xlsx_ratio")
    assert peak < 5 * MB


def test_a_cell_a_million_rows_down_stops_the_reader_early(db):
    """openpyxl pads every row to the declared 16,384 columns and yields a million empty rows to reach the
    last: without the caps this does not finish (and holds 16,384 values per row); with them it stops at
    TABULAR_MAX_LINES."""
    err, peak = _refused(db, xlsx_bombs.far_row(), "too_many_lines")
    assert str(DEFAULT_LIMITS.max_lines) in err.message
    assert peak < 20 * MB
    _refused(db, xlsx_bombs.far_row(row=10**12), "too_many_lines")  # far beyond any real sheet


def test_a_lying_dimension_reads_only_the_real_cells(db):
    tracemalloc.start()
    try:
        report = _import(db, xlsx_bombs.lying_dimension(rows=3))
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.errors == [] and report.imported == 3
    assert peak < 20 * MB


def test_a_flood_of_blank_rows_is_refused(db):
    data = xlsx_bombs.blank_rows(1_000_000)
    assert len(data) < 10 * MB
    _err, peak = _refused(db, data, "too_many_lines")
    assert peak < 20 * MB


def test_a_big_sheet_without_dimension_is_not_parsed_whole(db):
    """openpyxl computes a missing <dimension> on opening by parsing the whole sheet into one tree (about
    80 bytes per empty row, 5 times the XML): 1,000,000 rows took 80 MB before the reader opened sheets
    itself. openpyxl's write-only mode saves every sheet without one, so such files are honest too."""
    _err, peak = _refused(db, xlsx_bombs.blank_rows(1_000_000, dimension=False), "too_many_lines")
    assert peak < 20 * MB


def test_too_many_data_rows_stop_at_the_limit(db):
    err, peak = _refused(db, xlsx_bombs.many_rows(3_000), "too_many_rows", limits=TableLimits(max_rows=2_000))
    assert "2000" in err.message
    assert peak < 10 * MB  # the 2,000 rows kept before the refusal, not the 3,000


@pytest.mark.parametrize("bomb", [xlsx_bombs.entity_sheet, xlsx_bombs.entity_shared_strings],
                         ids=["sheet", "shared-strings"])
def test_xml_entity_bombs_are_refused(db, bomb):
    err, peak = _refused(db, bomb(), "xlsx_unsafe")
    assert "XML" in err.message
    assert peak < 5 * MB


def test_a_flood_of_shared_strings_is_refused_before_openpyxl_keeps_them(db):
    """The same as 2.1 million strings (about 60 MB once openpyxl holds them) against the default limit,
    at a twentieth of the size to keep the test quick."""
    data = xlsx_bombs.shared_strings_flood(105_000)
    limits = TableLimits(max_elements=DEFAULT_LIMITS.max_elements // 20)
    _err, peak = _refused(db, data, "xlsx_structure", limits=limits)
    assert peak < 5 * MB


def test_an_honest_xlsx_with_a_big_picture_still_imports(db):
    """Parts that are not XML (pictures) are not walked: a photo in the sheet is no reason to refuse."""
    import random

    from openpyxl.drawing.image import Image
    from PIL import Image as Picture

    noise = random.Random(1).randbytes(500 * 500 * 3)  # incompressible: a PNG of about 750 KB
    png = io.BytesIO()
    Picture.frombytes("RGB", (500, 500), noise).save(png, "PNG")
    book = Workbook()
    book.active.append(["title", "kind", "category"])
    book.active.append(["电工基础", "微课", "skills-energy"])
    book.active.add_image(Image(io.BytesIO(png.getvalue())), "E2")
    buffer = io.BytesIO()
    book.save(buffer)
    report = _import(db, buffer.getvalue())
    assert report.errors == [] and report.imported == 1


def test_csv_limits_columns_cell_size_and_lines(db):
    wide = ("title,kind,category," + ",".join(f"c{i}" for i in range(200)) + "\n").encode()
    _refused(db, wide + "电工,微课,skills-energy\n".encode(), "too_many_columns", filename="f.csv")
    huge_cell = b"title,kind,category\n" + b'"' + b"x" * 200_000 + b'",micro_course,skills-energy\n'
    _refused(db, huge_cell, "bad_csv", filename="f.csv")
    blank = b"title,kind,category\n" + b"\n" * 10 + "电工,微课,skills-energy\n".encode()
    _refused(db, blank, "too_many_lines", filename="f.csv", limits=TableLimits(max_lines=5))


def test_reading_stops_after_the_time_limit(db):
    data = "title,kind,category\n电工,微课,skills-energy\n".encode()
    _refused(db, data, "read_timeout", filename="f.csv", limits=TableLimits(max_seconds=-1))


def test_columns_beyond_the_limit_are_refused_only_when_they_hold_something():
    rows = list(read_table(b"a,b,c,,,,\n1,2,3,,,,\n", "f.csv", TableLimits(max_columns=3)))
    assert rows == [["a", "b", "c"], ["1", "2", "3"]]
    with pytest.raises(Invalid) as err:
        list(read_table(b"a,b,c,d\n", "f.csv", TableLimits(max_columns=3)))
    assert err.value.code == "too_many_columns"


def test_limits_come_from_the_settings(app):
    limits = TableLimits.from_config({**app.config, "TABULAR_MAX_UNPACKED_BYTES": 2 * MB})
    assert limits.max_unpacked == 2 * MB and limits.max_bytes == app.config["CATALOG_IMPORT_MAX_BYTES"]
    assert TableLimits.from_config(app.config, scale=10).max_unpacked == 10 * app.config["TABULAR_MAX_UNPACKED_BYTES"]
    assert TableLimits.from_config(app.config) == DEFAULT_LIMITS


def test_the_upload_page_refuses_a_bomb_with_a_message(app, client, auth, db):
    auth.as_role("institution_staff", "INST-T1")
    token = csrf_token(client, "/catalog/manage/import")
    response = client.post("/catalog/manage/import", data={
        "csrf_token": token, "org": "INST-T1", "file": (io.BytesIO(xlsx_bombs.zeros_bomb(150)), "r.xlsx")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Excel 文件解压后太大" in response.get_data(as_text=True)
    assert _count(db) == 0


def _honest_xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_an_honest_10000_row_xlsx_still_imports(db):
    header = ["title", "kind", "summary", "description", "category", "credits", "hours", "tags"]
    rows = [header] + [[f"课程{i}", "微课", f"第{i}门课的简介" * 5, f"<p>详细介绍{i}" + "。" * 300 + "</p>",
                        "skills-energy", "1", str(i % 40 + 1), "电工;安全"] for i in range(10_000)]
    data = _honest_xlsx(rows)
    report = _import(db, data)
    assert report.errors == [] and report.imported == 10_000 and _count(db) == 10_000


def test_the_real_mooc_catalogue_as_xlsx_passes_the_limits():
    """../shared/data/courses_cn_mooc.csv (real course descriptions) saved as XLSX reads within the limits."""
    with shared_file("courses_cn_mooc.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    # as an export would write it: no control characters (XML has none), at most 32,767 characters a cell
    rows = [[xml_safe(cell)[:30_000] for cell in row] for row in rows]
    data = _honest_xlsx(rows)
    read = list(read_table(data, "mooc.xlsx"))
    assert len(read) == len(rows) and read[1][2] == rows[1][2].strip()
