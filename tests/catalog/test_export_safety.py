"""What people type cannot attack or break the open catalog's outputs: formulas stay text in every CSV and
XLSX export (OWASP CSV injection) while showing exactly as typed, and no character (U+FFFF, controls,
bidi overrides) breaks the XLSX, Atom, OAI-PMH or JSON outputs, whether it arrives through the input
(cleaned there) or already sits in the database (cleaned on output)."""

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.accounts import organisations
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.tabular import csv_cell, xlsx_cells
from app.text import clean_text, has_control_chars
from catalog import imports, union_catalogs
from catalog.models import Resource
from programme.exchange import imports as exchange
from programme.exchange.models import ExchangeKind
from programme.reporting import reports
from tests.catalog.helpers import make

FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2", "@SUM(A1)", "\t=1", "\r=1"]


def _catalog(db, titles):
    """A province catalog listing one published resource per title; the titles are then written straight
    into the database, as rows stored before any input cleaning would be."""
    province = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330000"))
    for i, title in enumerate(titles):
        resource = make(title=f"课程{i}", publish=True)
        union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[0].id, resource.id)
        db.session.execute(update(Resource).where(Resource.id == resource.id).values(title=title, summary=title))
    db.session.commit()
    return province


def _xlsx_cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_formulas_stay_text_in_the_catalog_csv_and_xlsx(client, db):
    _catalog(db, FORMULAS)
    rows = list(csv.reader(io.StringIO(client.get("/catalog/u/330000/catalog.csv").data.decode("utf-8-sig"),
                                       newline="")))
    titles = [row[2] for row in rows[1:]]
    assert sorted(titles) == sorted("'" + t for t in FORMULAS)  # a quote first: text, and the rest as typed
    cells = _xlsx_cells(client.get("/catalog/u/330000/catalog.xlsx").data)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    shown = {c.value: c for c in cells if c.column == 3 and c.row > 1}
    assert set(shown) == set(FORMULAS)  # the visible text keeps every character
    assert all(c.data_type == "s" and c.quotePrefix for c in shown.values())
    numbers = [c for c in cells if c.column == 2 and c.row > 1]
    assert numbers and all(c.data_type == "n" and isinstance(c.value, int) for c in numbers)


def test_formulas_stay_text_in_the_report_xlsx_and_numbers_stay_numbers(db):
    province = organisations.get_by_code(db.session, "330000")
    children = [c for c in province.children if c.kind.value == "union"]
    for child, formula in zip(children, FORMULAS, strict=False):
        child.name = formula
    db.session.flush()
    cells = _xlsx_cells(reports.xlsx(reports.build(db.session, SYSTEM, province)))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = {c.value for c in cells if c.data_type == "s" and c.quotePrefix}
    assert {child.name for child in children[:len(FORMULAS)]} <= names
    assert [c for c in cells if c.data_type == "n" and c.value == 0]  # the figures are numbers, not text


def test_the_helpers_leave_real_numbers_alone():
    assert [csv_cell(v) for v in (-2, -2.5, 0, None, "-2", "a-b")] == [-2, -2.5, 0, "", "'-2", "a-b"]
    from openpyxl import Workbook

    sheet = Workbook().active
    sheet.append(xlsx_cells(sheet, [-2, "-2", "ok\uffff\x01"]))
    assert [(c.value, c.data_type) for c in sheet[1]] == [(-2, "n"), ("-2", "s"), ("ok", "s")]


def test_exchange_templates_pass_through_the_helper():
    for kind in ExchangeKind:
        rows = list(csv.reader(io.StringIO(exchange.template_csv(kind).decode("utf-8-sig"))))
        assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_oai_never_echoes_control_characters(client):
    response = client.get("/oai", query_string={"verb": "GetRecord", "metadataPrefix": "oai_dc",
                                                "identifier": "oai:x:\x01\x1b[31m\u202e\uffff"})
    document = etree.fromstring(response.data)
    ns = {"o": "http://www.openarchives.org/OAI/2.0/"}
    assert document.find("o:error", ns).get("code") == "badArgument"
    assert document.find("o:request", ns).attrib == {}  # the arguments were the problem: none echoed
    assert not any(ch in response.get_data(as_text=True) for ch in "\x01\x1b\u202e\uffff")
    response = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "oai_dc",
                                                "set": "menu:" + "x" * 500 + "\u2028"})
    message = etree.fromstring(response.data).findtext("o:error", namespaces=ns)
    assert len(message) < 200 and "\u2028" not in message


def _outputs_parse(client, resource_id: int) -> None:
    for url in ("/catalog/u/330000/feed.atom", "/oai?verb=ListRecords&metadataPrefix=oai_dc",
                f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:qiuxue.local:resource/{resource_id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        etree.fromstring(response.data)  # lxml refuses any character XML forbids
    cells = _xlsx_cells(client.get("/catalog/u/330000/catalog.xlsx").data)
    assert not [c for c in cells if c.data_type == "f"]
    assert client.get(f"/api/v1/resources/{resource_id}").get_json()["id"] == resource_id
    assert client.get("/api/v1/catalogs/330000").get_json()["sections"]


TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT)
def test_any_title_through_the_input_never_breaks_an_output(client, db, title):
    province = _province_catalog(db)
    try:
        resource = make(title=title, publish=True, summary=title)
    except Invalid as err:
        assert "title" in err.fields or "summary" in err.fields
        db.session.rollback()
        return
    assert resource.title == clean_text(title) and "\u202e" not in resource.title
    union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[0].id, resource.id)
    db.session.commit()
    _outputs_parse(client, resource.id)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT)
def test_any_title_already_in_the_database_never_breaks_an_output(client, db, title):
    title = title.replace("\x00", "")  # PostgreSQL cannot store NUL at all
    province = _province_catalog(db)
    resource = make(title="课程", publish=True)
    union_catalogs.add_resource(db.session, SYSTEM, province, province.sections[0].id, resource.id)
    db.session.execute(update(Resource).where(Resource.id == resource.id).values(title=title or "x",
                                                                                   summary=title))
    db.session.commit()
    _outputs_parse(client, resource.id)


def _province_catalog(db):
    """Examples share the test's database: the first one makes the catalog."""
    found = union_catalogs.catalog_of(db.session, organisations.get_by_code(db.session, "330000"))
    return found or _catalog(db, [])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=TEXT, summary=TEXT)
def test_any_text_through_the_bulk_import_is_reported_or_stored_clean(db, title, summary):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["title", "kind", "summary", "category"], [title, "微课", summary, "skills-energy"]])
    provider = organisations.get_by_code(db.session, "INST-T1")
    try:
        report = imports.import_resources(db.session, SYSTEM, provider, buffer.getvalue().encode(), "f.csv")
    except Invalid as err:  # a file-level refusal: the only row turned out blank, or a NUL (UTF-16's sign)
        assert err.code in {"no_rows", "empty_file", "missing_columns", "bad_encoding"}, err.code
        return
    stored = db.session.scalars(select(Resource).order_by(Resource.id.desc()).limit(1)).first()
    if report.imported:
        assert stored.title == clean_text(title) and stored.summary == clean_text(summary)
    else:
        assert report.errors
    db.session.rollback()


def test_the_text_rules():
    assert clean_text(" 电工\u202e基础\uffff\x85\U0010fffe\ud800 ") == "电工基础"
    assert clean_text("a\u200fb\nc\td") == "a\u200fb\nc\td"  # marks, line breaks and tabs are text
    assert has_control_chars("名\uffff") and has_control_chars("名\u202e") and not has_control_chars("名\u200f")
    assert has_control_chars("a\nb") and not has_control_chars("a\nb", allow_newlines=True)


def test_names_that_refuse_bad_characters_refuse_these_too(db):
    """Organisation names are refused, not cleaned (their service uses has_control_chars)."""
    for name in ("某工会\uffff", "某工会\u202e"):
        try:
            organisations.create_organisation(db.session, SYSTEM, parent_code="330000", code="330999",
                                              name=name, kind=OrgKind.union)
        except Invalid:
            continue
        raise AssertionError(f"{name!r} was accepted")
