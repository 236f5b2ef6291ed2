"""Recruitment QR codes: every union down to township gets a PNG and a printable PDF that link to its
catalog with ?via=<code>; a visitor who arrives that way and registers is attributed to the union,
and the count rolls up the tree."""

import io

from PIL import Image

from app.accounts import organisations
from app.accounts.models import OrgKind, User
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from programme import attribution, qrcodes
from tests import factories
from tests.app.sms_codes import register


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
    assert response.data.startswith(b"%PDF") and b"STSong-Light" in response.data
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
