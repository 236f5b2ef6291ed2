"""Hostile XLSX files, built for real: a genuine workbook from openpyxl whose first sheet (or shared strings)
is replaced by a stream of crafted XML, compressed as any zip tool would."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{MAIN}">'
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>title</t></is></c><c r="B1" t="inlineStr"><is><t>kind</t>'
              '</is></c><c r="C1" t="inlineStr"><is><t>category</t></is></c></row>')
GOOD_ROW = ('<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>课程{n}</t></is></c><c r="B{n}" t="inlineStr"><is>'
            '<t>微课</t></is></c><c r="C{n}" t="inlineStr"><is><t>skills-energy</t></is></c></row>')
MB = 1024 * 1024


def workbook_with(part: str, chunks: Iterable[bytes]) -> bytes:
    """A real XLSX whose `part` is replaced by the streamed `chunks` (never held whole in memory)."""
    book = Workbook()
    book.active.append(["title", "kind", "category"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "[Content_Types].xml" and part == "xl/sharedStrings.xml":  # openpyxl writes none
                content = content.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                          b'"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                          b'sharedStrings+xml"/></Types>')
            if info.filename != part:
                target.writestr(info.filename, content)
        with target.open(part, "w", force_zip64=True) as stream:
            for chunk in chunks:
                stream.write(chunk)
    return out.getvalue()


def sheet(*rows: str, dimension: str = "") -> Iterable[bytes]:
    yield HEAD.encode()
    if dimension:
        yield f'<dimension ref="{dimension}"/>'.encode()
    yield b"<sheetData>"
    for row in rows:
        yield row.encode()
    yield b"</sheetData></worksheet>"


def zeros_bomb(megabytes: int) -> bytes:
    """A sheet whose one cell holds `megabytes` MB of "0": deflate packs it about a thousandfold."""
    def chunks() -> Iterable[bytes]:
        yield (HEAD + "<sheetData>" + HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>').encode()
        block = b"0" * MB
        for _ in range(megabytes):
            yield block
        yield b"</t></is></c></row></sheetData></worksheet>"
    return workbook_with(SHEET, chunks())


def far_row(row: int = 1_048_576, dimension: str = "A1:XFD1048576") -> bytes:
    """Two honest rows, then one cell at the bottom-right corner: openpyxl pads every row to the declared
    16,384 columns and fills the gap with empty rows."""
    return workbook_with(SHEET, sheet(HEADER_ROW, GOOD_ROW.format(n=2),
                                      f'<row r="{row}"><c r="XFD{row}"><v>1</v></c></row>', dimension=dimension))


def lying_dimension(rows: int = 3) -> bytes:
    """An honest little sheet that declares itself a million rows by 16,384 columns."""
    return workbook_with(SHEET, sheet(HEADER_ROW, *(GOOD_ROW.format(n=n) for n in range(2, rows + 2)),
                                      dimension="A1:XFD1048576"))


def blank_rows(count: int, dimension: bool = True) -> bytes:
    """A header, then `count` empty rows (each a real <row/> element), then one data row."""
    def chunks() -> Iterable[bytes]:
        yield HEAD.encode()
        if dimension:
            yield f'<dimension ref="A1:C{count + 2}"/>'.encode()
        yield ("<sheetData>" + HEADER_ROW).encode()
        for start in range(2, count + 2, 10_000):
            yield "".join(f'<row r="{n}"/>' for n in range(start, min(start + 10_000, count + 2))).encode()
        yield (GOOD_ROW.format(n=count + 2) + "</sheetData></worksheet>").encode()
    return workbook_with(SHEET, chunks())


def many_rows(count: int) -> bytes:
    def chunks() -> Iterable[bytes]:
        yield (HEAD + "<sheetData>" + HEADER_ROW).encode()
        for start in range(2, count + 2, 10_000):
            yield "".join(GOOD_ROW.format(n=n) for n in range(start, min(start + 10_000, count + 2))).encode()
        yield b"</sheetData></worksheet>"
    return workbook_with(SHEET, chunks())


LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>")


def entity_sheet() -> bytes:
    """Billion laughs in the sheet: one cell would expand to 10^9 "lol"s."""
    return workbook_with(SHEET, [f'<?xml version="1.0"?>\n{LAUGHS}<worksheet xmlns="{MAIN}"><sheetData>'
                                 f'{HEADER_ROW}<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
                                 "</sheetData></worksheet>".encode()])


def entity_shared_strings() -> bytes:
    """Billion laughs in the shared strings, which openpyxl reads whole before any sheet."""
    return workbook_with("xl/sharedStrings.xml", [
        f'<?xml version="1.0"?>\n{LAUGHS}<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>&lol9;</t></si>'
        "</sst>".encode()])


def shared_strings_flood(count: int) -> bytes:
    """`count` distinct shared strings: openpyxl keeps every one in a list before reading any sheet."""
    def chunks() -> Iterable[bytes]:
        yield f'<?xml version="1.0"?>\n<sst xmlns="{MAIN}">'.encode()
        for start in range(0, count, 10_000):
            yield "".join(f"<si><t>{n}</t></si>" for n in range(start, min(start + 10_000, count))).encode()
        yield b"</sst>"
    return workbook_with("xl/sharedStrings.xml", chunks())
