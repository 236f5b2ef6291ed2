"""Recruitment QR codes: every union down to township gets a PNG and a printable PDF that link to its
catalog with ?via=<code>; a visitor who arrives that way and registers is attributed to the union,
and the count rolls up the tree."""

import io
from urllib.parse import quote, unquote
from urllib.request import urlopen

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from werkzeug.http import parse_options_header

from app.accounts import organisations
from app.accounts.models import OrgKind, User
from app.accounts.policy import SYSTEM
from app.errors import Invalid
from app.extensions import db as _db
from programme.admissions import attribution, qrcodes
from tests import factories
from tests.app.sms_codes import register
from tests.browser import live_server  # noqa: F401 - the real WSGI server: the test client never encodes
from tests.pdfs import assert_embeds_the_site_font


def _township(code: str = "330106001"):
    return organisations.create_organisation(_db.session, SYSTEM, parent_code="330106", code=code,
                                             name="西溪街道总工会", kind=OrgKind.union)


def test_png_decodes_to_the_union_catalog_with_via(app, client):
    with app.app_context():
        _township()
        _db.session.commit()
    response = client.get("/qr/330106001.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size[0] == image.size[1] >= 200
    import segno

    expected = segno.make("http://localhost/catalog/u/330106001?via=330106001", error="m")
    assert image.size[0] == (expected.symbol_size(scale=10, border=4))[0]  # the same symbol as the link


def test_pdf_is_a_one_page_a4_poster(app, client):
    response = client.get("/qr/330000.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert_embeds_the_site_font(response.data, "职工学历技能双提升 · 扫码学习")
    assert client.get("/qr/INST-T1.pdf").status_code == 404  # institutions recruit through unions
    assert client.get("/qr/nowhere.png").status_code == 404


def test_staff_list_their_unions_and_below(db):
    _township()
    city = qrcodes.unions_for(db.session, factories.user("union_staff", "330100"))
    codes = [o.code for o in city]
    assert codes[0] == "330100" and "330106001" in codes and "330200" not in codes
    assert all(o.kind == OrgKind.union for o in city)
    assert qrcodes.unions_for(db.session, factories.user()) == []
    assert len(qrcodes.unions_for(db.session, factories.user("admin"))) > len(city)


def test_registration_through_a_code_is_attributed_and_rolls_up(app, client):
    with app.app_context():
        _township()
        _db.session.commit()
    assert client.get("/catalog/u/330106001?via=330106001").status_code == 200
    client.get("/catalog/u/330100?via=330100")  # a second poster does not take the credit from the first
    response = register(client, "13912345678", "long-enough-9")
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "via" not in session
    with app.app_context():
        user = _db.session.query(User).filter_by(phone="13912345678").one()
        assert user.referred_by.code == "330106001"
        county = organisations.get_by_code(_db.session, "330106")
        city = organisations.get_by_code(_db.session, "330100")
        province = organisations.get_by_code(_db.session, "330000")
        township = organisations.get_by_code(_db.session, "330106001")
        assert attribution.registrations_below(_db.session, county) == {township.id: 1}
        assert attribution.registrations_below(_db.session, city) == {county.id: 1}
        assert attribution.registrations_below(_db.session, province) == {city.id: 1}


def test_made_up_or_non_union_codes_attribute_nothing(app, client):
    client.get("/catalog/?via=INST-T1")
    register(client, "13912345679", "long-enough-9")
    client.get("/catalog/?via=<script>")  # never even stored
    with app.app_context():
        assert _db.session.query(User).filter_by(phone="13912345679").one().referred_by is None
        assert attribution.referrer(_db.session, "<script>") is None
    store: dict = {}
    attribution.remember(store, "x" * 40)
    attribution.remember(store, "330100")
    assert store == {"via": "330100"}


# -- organisation codes outside ASCII (issue 17, item 9) ------------------------------------------------------
# The poster's Content-Disposition carried the code raw; HTTP headers are Latin-1, so waitress answered 500 for
# a code like 西溪1. Codes are ASCII from now on (refused at input), and the poster names itself safely anyway.

SCRIPTS = st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Lt", "Lm", "Nd", "Nl", "No"))
NON_ASCII_CODES = st.tuples(st.text(SCRIPTS, max_size=6), st.characters(
    whitelist_categories=("Lu", "Ll", "Lo", "Nd", "No"), min_codepoint=128), st.text(SCRIPTS, max_size=6)).map(
    "".join).filter(lambda c: c.strip() == c and 0 < len(c) <= 32)
FIXTURE_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FIXTURE_SETTINGS
@given(NON_ASCII_CODES)
def test_codes_outside_ascii_are_refused_at_input(db, code):
    with pytest.raises(Invalid) as err:
        organisations.create_organisation(_db.session, SYSTEM, parent_code="330106", code=code, name="某街道总工会",
                                          kind=OrgKind.union)
    assert "字母、数字和连字符" in err.value.fields["code"]


@FIXTURE_SETTINGS
@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,20}", fullmatch=True))
def test_ascii_codes_are_still_accepted(db, code):
    if len(code) == 9 and code.isdigit() and not code.startswith("330106"):
        return  # another county's township code (tests/app/test_organisations.py)
    if _db.session.scalar(organisations.select(organisations.Organisation.id).where(
            organisations.Organisation.code == code)) is None:
        assert organisations.create_organisation(_db.session, SYSTEM, parent_code="330106", code=code,
                                                 name="某街道总工会", kind=OrgKind.union).code == code


def test_township_files_with_full_width_digits_are_refused(db):
    report = organisations.import_townships(_db.session, SYSTEM, "code,name,level,parent_code\n"
                                            "３３０１０６００１,北山街道,township,330106\n")
    assert report.added == 0 and report.errors


@given(st.text(max_size=40))
def test_the_poster_header_is_latin_1_and_names_the_code(code):
    header = qrcodes.content_disposition(code)
    header.encode("latin-1")  # what PEP 3333 demands of a header value
    assert "\n" not in header and "\r" not in header
    _value, options = parse_options_header(header)  # a standard parser reads the name back from filename*
    assert options["filename"] == unquote(header.split("filename*=UTF-8''")[1]) == f"qr-{code}.pdf"
    assert header.split('filename="')[1].split('"')[0].isascii()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd", "No")), min_size=1, max_size=12))
def test_a_stored_non_ascii_code_still_gets_its_poster_from_the_real_server(app, live_server, code):  # noqa: F811
    """Codes stored before the input check: the poster renders (200, a PDF), never a 500."""
    with app.app_context():
        if _db.session.scalar(organisations.select(organisations.Organisation.id).where(
                organisations.Organisation.code == code)) is None:
            county = organisations.get_by_code(_db.session, "330106")
            _db.session.add(organisations.Organisation(code=code, name=f"{code}街道总工会", kind=OrgKind.union,
                                                       level="township", parent=county, path=f"{county.path}{code}/"))
            _db.session.commit()
    with urlopen(f"{live_server}/qr/{quote(code, safe='')}.pdf") as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
        assert response.read().startswith(b"%PDF")


def test_the_list_comes_a_page_at_a_time_and_finds_a_union_by_name_or_code(db):
    _township()
    staff = factories.user("union_staff", "330100")
    everyone = qrcodes.unions_for(db.session, staff)
    first = qrcodes.unions_page(db.session, staff, per_page=2)
    assert [o.code for o in first.items] == [o.code for o in everyone[:2]] and first.total == len(everyone)
    last = qrcodes.unions_page(db.session, staff, page=999, per_page=2)
    assert last.page == first.pages and last.items
    assert [o.code for o in qrcodes.unions_page(db.session, staff, "330106001").items] == ["330106001"]
    assert qrcodes.unions_page(db.session, staff, "%").total == 0
    assert qrcodes.unions_page(db.session, factories.user()).total == 0
