"""The one reader of uploaded tables: CSV (UTF-8 with or without BOM, or GB18030 as Excel in China saves it)
and XLSX, used by the catalog bulk import and the programme's data exchange alike.

An XLSX file is a zip of XML, so a 10 MB upload can unpack to gigabytes (a sheet of zeros compresses a
thousandfold) or declare a million rows by sixteen thousand columns that openpyxl would dutifully pad.
Before openpyxl sees a byte, the zip's central directory is checked: total unpacked size and each large
member's compression ratio (zipfile never unpacks more than a member declares, so the declared sizes bind).
openpyxl then reads in read-only mode (streaming the sheet) with rows and columns capped, so it stops early,
and defusedxml (which openpyxl uses when installed) refuses XML entity tricks. Every limit is a setting
(TABULAR_*, see app/config.py) and every refusal a clear message with a stable code."""

from __future__ import annotations

import csv
import io
import time
import zipfile
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from flask_babel import gettext as _

from app.config import SETTINGS
from app.errors import Invalid
from app.text import is_digits, xml_safe

_DEFAULTS = {s.key: s.default for s in SETTINGS}
RATIO_CHECK_FROM = 1024 * 1024   # small members may compress very well (styles, empty sheets): ratio not checked
MAX_MEMBERS = 1000               # an XLSX from Excel or WPS has a few dozen parts
SCAN_FROM = 256 * 1024           # parts above this are walked before openpyxl reads them (smaller ones cannot hurt)
MAX_CELLS_PER_ROW = 16_384       # Excel's own maximum; a row's cells are held until the row ends


@dataclass(frozen=True)
class TableLimits:
    """How much of an uploaded table is read at most; the defaults are those of app/config.py."""

    max_bytes: int = _DEFAULTS["CATALOG_IMPORT_MAX_BYTES"]               # the file as uploaded
    max_unpacked: int = _DEFAULTS["TABULAR_MAX_UNPACKED_BYTES"]          # an XLSX's parts once unzipped
    max_ratio: int = _DEFAULTS["TABULAR_MAX_RATIO"]                      # unpacked / packed, per large part
    max_rows: int = _DEFAULTS["TABULAR_MAX_ROWS"]                        # data rows (blank ones not counted)
    max_lines: int = _DEFAULTS["TABULAR_MAX_LINES"]                      # rows read, blank ones included
    max_columns: int = _DEFAULTS["TABULAR_MAX_COLUMNS"]
    max_seconds: float = _DEFAULTS["TABULAR_MAX_SECONDS"]
    # XML elements of an XLSX part that openpyxl keeps (shared strings, what surrounds a sheet's rows):
    # 20,000 rows of 50 distinct texts need a million; not a setting, as nobody honest comes near
    max_elements: int = 2_000_000

    @classmethod
    def from_config(cls, config: Mapping[str, Any], scale: int = 1) -> TableLimits:
        """The site's limits; `scale` multiplies the byte limits (the command line takes bigger files)."""
        return cls(max_bytes=config["CATALOG_IMPORT_MAX_BYTES"] * scale,
                   max_unpacked=config["TABULAR_MAX_UNPACKED_BYTES"] * scale,
                   max_ratio=config["TABULAR_MAX_RATIO"], max_rows=config["TABULAR_MAX_ROWS"],
                   max_lines=config["TABULAR_MAX_LINES"], max_columns=config["TABULAR_MAX_COLUMNS"],
                   max_seconds=config["TABULAR_MAX_SECONDS"])


DEFAULT_LIMITS = TableLimits()


def file_error(message: str, code: str) -> Invalid:
    return Invalid(message, code=code, fields={"file": message})


def _megabytes(size: int) -> str:
    return "%g" % round(size / 1024 / 1024, 1)  # noqa: UP031 - not an f-string inside _(): babel skips those


def decode_csv(data: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030; anything else (UTF-16, binary) is refused with a clear message."""
    if b"\x00" in data[:4096]:
        raise file_error(_("文件编码无法识别，请另存为 UTF-8 或 GB18030（ANSI）编码的 CSV。"), "bad_encoding")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise file_error(_("文件编码无法识别，请另存为 UTF-8 或 GB18030（ANSI）编码的 CSV。"), "bad_encoding")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def check_zip(data: bytes, limits: TableLimits, deadline: float) -> None:
    """Refuse an XLSX whose parts would unpack too big, from the central directory alone, then walk its large
    parts once with a streaming parser that keeps nothing: openpyxl keeps every shared string, and builds
    whatever follows a sheet's rows (merged cells, links) in memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise _odd()
            if sum(info.file_size for info in infos) > limits.max_unpacked:
                raise file_error(_("Excel 文件解压后太大（超过 %(mb)s MB），请拆分后导入。",
                                   mb=_megabytes(limits.max_unpacked)), "xlsx_too_large")
            for info in infos:
                if info.file_size > RATIO_CHECK_FROM and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                    raise file_error(_("这个 Excel 文件的压缩比异常（可能是“压缩炸弹”），无法安全读取。"), "xlsx_ratio")
            for info in infos:
                if info.file_size > SCAN_FROM and _looks_like_xml(archive, info):
                    with archive.open(info) as stream:
                        _scan_part(stream, limits, deadline)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, ValueError, OSError,
            EOFError, zlib.error):  # RuntimeError: an encrypted part; zlib.error: damaged data
        raise file_error(_("无法读取这个 Excel 文件，请确认它是 .xlsx 格式。"), "bad_xlsx") from None


def _odd() -> Invalid:
    return file_error(_("这个 Excel 文件的结构异常，无法安全读取，请用 Excel 或 WPS 另存为 .xlsx 后再导入。"),
                      "xlsx_structure")


def _scan_part(stream: Any, limits: TableLimits, deadline: float) -> None:
    """One XML part, element by element, each dropped once finished (memory: one path from the root).
    A worksheet may hold at most max_lines rows of at most MAX_CELLS_PER_ROW cells, and max_elements
    elements outside its rows (openpyxl builds those in memory); any other part (shared strings, which
    openpyxl keeps) max_elements elements."""
    path: list[Any] = []
    in_rows = False
    rows = cells = others = 0
    try:
        for event, element in iterparse(stream, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "end":
                path.pop()
                if path:
                    path[-1].remove(element)  # nothing finished is kept
                in_rows = in_rows and tag != "sheetData"
                continue
            depth = len(path)
            path.append(element)
            if depth == 1 and tag == "sheetData" and path[0].tag.endswith("worksheet"):
                in_rows = True
            elif in_rows and depth == 2 and tag == "row":
                rows, cells = rows + 1, 0
                number = element.get("r", "")
                # a row number too long for is_digits is past any limit too (a reader would pad up to it)
                if rows > limits.max_lines or (number.isascii() and number.isdigit() and (
                        not is_digits(number) or int(number) > limits.max_lines + 1)):
                    raise _too_many_lines(limits)
                if rows % 1000 == 0 and time.monotonic() > deadline:
                    raise _timeout(limits)
            elif in_rows and depth == 3 and tag == "c":
                cells += 1
                if cells > MAX_CELLS_PER_ROW:
                    raise file_error(_("文件列数太多（最多 %(n)d 列）。", n=limits.max_columns), "too_many_columns")
            elif not in_rows:
                others += 1
                if others > limits.max_elements:
                    raise _odd()
    except DefusedXmlException:
        raise _unsafe() from None
    except ET.ParseError:
        raise file_error(_("无法读取这个 Excel 文件，请确认它是 .xlsx 格式。"), "bad_xlsx") from None


def _looks_like_xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Pictures and other binary parts are not for the XML walk (openpyxl does not parse them either)."""
    with archive.open(info) as stream:
        return stream.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _unsafe() -> Invalid:
    return file_error(_("这个 Excel 文件含有不允许的 XML 内容（实体或文档类型声明），无法读取。"), "xlsx_unsafe")


def _too_many_lines(limits: TableLimits) -> Invalid:
    return file_error(_("文件行数太多（最多读取 %(n)d 行，空行也计算在内），请拆分后导入。", n=limits.max_lines),
                      "too_many_lines")


def _timeout(limits: TableLimits) -> Invalid:
    return file_error(_("读取文件超时（超过 %(n)d 秒），请拆分后导入。", n=limits.max_seconds), "read_timeout")


def _first_sheet(data: bytes) -> Any:
    """The first worksheet, opened as openpyxl's load_workbook(read_only=True) would, except that its size is
    not computed: openpyxl does that on opening every sheet, by parsing a sheet without <dimension> (as
    openpyxl's own write-only mode saves them) whole into memory. The reader gives its own bounds instead.
    Uses openpyxl's reader step by step (pinned to 3.1 in setup.cfg)."""
    from openpyxl.reader.excel import ExcelReader  # here: openpyxl is 20 MB, only a spreadsheet needs it
    from openpyxl.styles.stylesheet import apply_stylesheet  # what openpyxl.reader.excel itself calls (as above)
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet  # here, as above

    class UnsizedSheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:
            pass

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)  # number formats: which numbers are dates
        for sheet, rel in reader.parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                return reader.archive, UnsizedSheet(reader.wb, sheet.name, rel.target, reader.shared_strings)
    except BaseException:
        reader.archive.close()
        raise
    reader.archive.close()
    raise ValueError("no worksheet")


def _xlsx_rows(data: bytes, limits: TableLimits, deadline: float) -> Iterator[list[str]]:
    check_zip(data, limits, deadline)
    bad = file_error(_("无法读取这个 Excel 文件，请确认它是 .xlsx 格式。"), "bad_xlsx")
    try:
        archive, sheet = _first_sheet(data)
    except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise _unsafe() if _defused(err) else bad from None
    try:
        # one row and one column beyond the limits, so that a file exceeding them is told so, not cut
        for row in sheet.iter_rows(max_row=limits.max_lines + 1, max_col=limits.max_columns + 1, values_only=True):
            # openpyxl fills a gap in row numbers with empty rows: skip them at C speed
            yield [] if row.count(None) == len(row) else [_cell(v) for v in row]
    except Invalid:
        raise
    except Exception as err:  # noqa: BLE001 - as above, for the parts openpyxl reads while streaming
        raise _unsafe() if _defused(err) else bad from None
    finally:
        archive.close()


def _defused(err: BaseException | None) -> bool:
    """Whether defusedxml refused the XML somewhere down the chain (openpyxl wraps it in a ValueError)."""
    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, DefusedXmlException):
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        yield from csv.reader(io.StringIO(decode_csv(data), newline=""))
    except csv.Error:
        raise file_error(_("CSV 文件无法解析（某个单元格太长或引号不成对）。"), "bad_csv") from None


def read_table(data: bytes, filename: str = "", limits: TableLimits = DEFAULT_LIMITS) -> Iterator[list[str]]:
    """Every row of the file (the first sheet of an XLSX) as strings, refusing at once what exceeds `limits`."""
    if not data or not data.strip():
        raise file_error(_("文件是空的。"), "empty_file")
    if len(data) > limits.max_bytes:
        raise file_error(_("文件太大（最大 %(mb)s MB）。", mb=_megabytes(limits.max_bytes)), "file_too_large")
    is_xlsx = data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx")
    deadline = time.monotonic() + limits.max_seconds
    rows = _xlsx_rows(data, limits, deadline) if is_xlsx else _csv_rows(data)
    for number, row in enumerate(rows, start=1):
        if number > limits.max_lines:
            raise _too_many_lines(limits)
        if len(row) > limits.max_columns and any(cell.strip() for cell in row[limits.max_columns:]):
            raise file_error(_("文件列数太多（最多 %(n)d 列）。", n=limits.max_columns), "too_many_columns")
        if time.monotonic() > deadline:
            raise _timeout(limits)
        yield row[:limits.max_columns]


def read_rows(data: bytes, filename: str, *, limits: TableLimits, fields: Collection[str],
              aliases: Mapping[str, str], required: tuple[str, ...]
              ) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]]:
    """({column: header as written}, [(row number, {column: cell})]) or Invalid for a file-level problem.
    `fields`, `aliases` (header as people write it -> column) and `required` describe the columns."""
    raw_rows = read_table(data, filename, limits)
    header_row = next(raw_rows, None)
    if not header_row or not any(header_row):
        raise file_error(_("文件是空的。"), "empty_file")
    columns: dict[int, str] = {}
    written: dict[str, str] = {}
    for index, name in enumerate(header_row):
        name = (name or "").strip().lstrip("\ufeff")
        canonical = aliases.get(name, name.lower())
        if canonical in fields and canonical not in written:
            columns[index], written[canonical] = canonical, name
    missing = [c for c in required if c not in written]
    if missing:
        raise file_error(_("缺少必需的列：%(cols)s。第一行应为列名，例如 %(example)s。",
                           cols="、".join(missing), example=", ".join(required)), "missing_columns")
    rows: list[tuple[int, dict[str, str]]] = []
    for number, raw in enumerate(raw_rows, start=2):
        if not any(cell.strip() for cell in raw if cell):
            continue
        if len(rows) >= limits.max_rows:
            raise file_error(_("文件行数太多（最多 %(n)d 行），请拆分后导入。", n=limits.max_rows), "too_many_rows")
        rows.append((number, {col: (raw[i] if i < len(raw) else "") for i, col in columns.items()}))
    if not rows:
        raise file_error(_("文件里没有数据行。"), "no_rows")
    return written, rows


# Writing: every CSV and XLSX export goes through these, so text people typed never runs as a formula
# (OWASP "CSV injection": =HYPERLINK(...) in a title becomes a live link that leaks data when clicked).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would run as a formula starts with a quote (which Excel and WPS
    then show as text); numbers stay numbers, negative ones included."""
    if not isinstance(value, str):
        return "" if value is None else value
    text = xml_safe(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """UTF-8 with a BOM, which Excel needs to read Chinese correctly; every cell through `csv_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_cells(sheet: Any, row: Iterable[Any]) -> list[Any]:
    """A row for `sheet.append`: text is always a string cell (openpyxl would make "=..." a formula), with
    Excel's quote prefix when it looks like one, so it shows exactly as typed and stays text when edited.
    Characters XML forbids are dropped (one U+FFFF would make the whole file unreadable)."""
    from openpyxl.cell import WriteOnlyCell  # here: openpyxl is 20 MB, only a spreadsheet needs it

    cells = []
    for value in row:
        if not isinstance(value, str):
            cells.append(value)
            continue
        cell = WriteOnlyCell(sheet, value=None)
        cell.value = text = xml_safe(value)
        cell.data_type = "s"
        if text.startswith(FORMULA_START):
            cell.quotePrefix = True
        cells.append(cell)
    return cells


def xlsx_bytes(title: str, rows: Iterable[Iterable[Any]]) -> bytes:
    """A one-sheet workbook of `rows`, the first in bold (the header), every cell through `xlsx_cells`."""
    from openpyxl import Workbook  # here: openpyxl is 20 MB, only a spreadsheet needs it
    from openpyxl.styles import Font  # here, as above

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet name
    for n, row in enumerate(rows):
        cells = xlsx_cells(sheet, row)
        if n == 0:
            for cell in cells:
                if not isinstance(cell, (int, float)):  # header text is a cell; a number can carry no style
                    cell.font = Font(bold=True)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
