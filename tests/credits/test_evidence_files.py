"""Evidence PDFs are parsed, not grepped: real malicious PDFs, made with pypdf or written object by object, are
refused on both evidence paths (credit recognition and subsidy claims); honest PDFs (links included) and images
still go through; stored evidence comes back only as a sandboxed download."""

from __future__ import annotations

import io
import re
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from app.errors import Invalid
from credits.evidence_files import check_evidence
from programme.money import evidence as claim_evidence
from tests.credits.credit_factories import pdf_bytes, png_bytes


def _written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    return writer


def _name(value: str) -> NameObject:
    return NameObject(value)


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({_name("/Type"): _name("/Action"), _name("/S"): _name(kind)})
    action.update({_name(f"/{k}"): v for k, v in entries.items()})
    return action


def _annotation(subtype: str, **entries) -> DictionaryObject:
    annot = DictionaryObject({_name("/Type"): _name("/Annot"), _name("/Subtype"): _name(subtype),
                              _name("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(100),
                                                           FloatObject(20)])})
    annot.update({_name(f"/{k}"): v for k, v in entries.items()})
    return annot


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF written by hand (object 1 is the catalog) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def object_stream_pdf(plain: list[bytes], packed: list[bytes]) -> bytes:
    """A PDF 1.5 file: objects 1..len(plain) written plainly, the next ones inside one Flate-compressed object
    stream, found through a cross-reference stream (no xref table, nothing of them readable in the bytes)."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    entries = [(0, 0, 65535)]
    for number, body in enumerate(plain, start=1):
        entries.append((1, len(out), 0))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    first = len(plain) + 1
    stream_number = first + len(packed)
    header, bodies = [], b""
    for index, body in enumerate(packed):
        header.append(b"%d %d" % (first + index, len(bodies)))
        bodies += body + b"\n"
        entries.append((2, stream_number, index))
    head = b" ".join(header) + b"\n"
    data = zlib.compress(head + bodies)
    entries.append((1, len(out), 0))
    out += (b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (stream_number, len(packed), len(head), len(data))) + data + b"\nendstream\nendobj\n"
    xref_number = stream_number + 1
    entries.append((1, len(out), 0))
    table = b"".join(bytes([kind]) + field.to_bytes(4, "big") + gen.to_bytes(2, "big")
                     for kind, field, gen in entries)
    xref_offset = len(out)
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % (xref_number, xref_number + 1, len(table))) + table + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


PAGES = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"]


def open_action_js() -> bytes:
    writer = _writer()
    writer._root_object[_name("/OpenAction")] = _action("/JavaScript", JS=TextStringObject("app.alert(1)"))
    return _written(writer)


def names_tree_js() -> bytes:
    writer = _writer()
    writer.add_open_action(JavaScript("app.alert(document.cookie)"))  # the /Names /JavaScript tree
    return _written(writer)


def page_additional_action_js() -> bytes:
    writer = _writer()
    writer.pages[0].add_action(PageTrigger.OPEN, JavaScript("app.alert(1)"))
    return _written(writer)


def annotation_additional_action_js() -> bytes:
    writer = _writer()
    mouse_enter = DictionaryObject({_name("/E"): _action("/JavaScript", JS=TextStringObject("app.alert(1)"))})
    writer.add_annotation(0, _annotation("/Link", AA=mouse_enter))
    return _written(writer)


def form_field_js() -> bytes:
    writer = _writer()
    keystroke = DictionaryObject({_name("/K"): _action("/JavaScript", JS=TextStringObject("app.alert(1)"))})
    field = _annotation("/Widget", FT=_name("/Tx"), T=TextStringObject("name"), AA=keystroke)
    writer.add_annotation(0, field)
    writer._root_object[_name("/AcroForm")] = DictionaryObject({_name("/Fields"): ArrayObject([field])})
    return _written(writer)


def name_escaped_js() -> bytes:
    """`/J#61vaScript` and `/J#53`: the names a viewer reads as /JavaScript and /JS, spelled so no byte pattern
    of them appears in the file."""
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", *PAGES[1:],
                    b"<< /Type /Action /S /J#61vaScript /J#53 (app.alert(1)) >>"])


def js_in_object_stream() -> bytes:
    return object_stream_pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", *PAGES[1:]],
                             [b"<< /Type /Action /S /JavaScript /JS (app.launchURL('http://evil.example')) >>"])


def launch() -> bytes:
    writer = _writer()
    writer._root_object[_name("/OpenAction")] = _action(
        "/Launch", F=TextStringObject("C:\\Windows\\System32\\cmd.exe"),
        Win=DictionaryObject({_name("/F"): TextStringObject("cmd.exe"), _name("/P"): TextStringObject("/c calc")}))
    return _written(writer)


def embedded_file() -> bytes:
    writer = _writer()
    writer.add_attachment("invoice.exe", b"MZ\x90\x00 not a certificate")
    return _written(writer)


def file_attachment_annotation() -> bytes:
    writer = _writer()
    spec = DictionaryObject({_name("/Type"): _name("/Filespec"), _name("/F"): TextStringObject("a.exe")})
    writer.add_annotation(0, _annotation("/FileAttachment", FS=spec, Contents=TextStringObject("open me")))
    return _written(writer)


def xfa_form() -> bytes:
    writer = _writer()
    writer._root_object[_name("/AcroForm")] = DictionaryObject({
        _name("/Fields"): ArrayObject(), _name("/XFA"): TextStringObject("<xdp:xdp xmlns:xdp='x'/>")})
    return _written(writer)


def encrypted() -> bytes:
    writer = _writer()
    writer.encrypt("secret", algorithm="RC4-128")
    return _written(writer)


def unparsable() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"


MALICIOUS = [
    (open_action_js, "脚本"), (names_tree_js, "脚本"), (page_additional_action_js, "脚本"),
    (annotation_additional_action_js, "脚本"), (form_field_js, "脚本"), (name_escaped_js, "脚本"),
    (js_in_object_stream, "脚本"), (launch, "其他程序"), (embedded_file, "附件"),
    (file_attachment_annotation, "附件"), (xfa_form, "XFA"), (encrypted, "加密"), (unparsable, "损坏"),
]


@pytest.mark.parametrize(("make", "message"), MALICIOUS, ids=[m.__name__ for m, _ in MALICIOUS])
def test_malicious_pdfs_are_refused_on_both_evidence_paths(app, make, message):
    data = make()
    assert data.startswith(b"%PDF-")
    with app.test_request_context(), pytest.raises(Invalid) as credit:
        check_evidence(data)
    assert credit.value.code == "bad_evidence" and message in credit.value.fields["evidence"]
    with app.test_request_context(), pytest.raises(Invalid) as claim:
        claim_evidence.check(data)
    assert message in claim.value.fields[claim_evidence.FIELD]


def test_the_object_stream_and_escaped_name_files_hide_every_byte_pattern():
    """What made the old check pass them: neither holds the bytes `/JavaScript` or `/JS`."""
    for data in (js_in_object_stream(), name_escaped_js()):
        assert b"/JavaScript" not in data and not re.search(rb"/JS\b", data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.booleans(), min_size=10, max_size=10), st.lists(st.booleans(), min_size=10, max_size=10))
def test_any_spelling_of_the_javascript_names_is_refused(app, escape, upper):
    def spell(name: str) -> bytes:
        return b"/" + b"".join((b"#%02X" if up else b"#%02x") % ord(c) if esc else c.encode()
                               for c, esc, up in zip(name, escape, upper, strict=False))

    data = raw_pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", *PAGES[1:],
                    b"<< /S " + spell("JavaScript") + b" " + spell("JS") + b" (app.alert(1)) >>"])
    with app.test_request_context(), pytest.raises(Invalid):
        check_evidence(data)


def _with_link() -> bytes:
    writer = _writer()
    link = _action("/URI", URI=TextStringObject("https://zscx.example.gov.cn/verify?no=123"))
    writer.add_annotation(0, _annotation("/Link", A=link, Border=ArrayObject([NumberObject(0)] * 3)))
    writer._root_object[_name("/OpenAction")] = ArrayObject([writer.pages[0].indirect_reference, _name("/Fit")])
    return _written(writer)


def _names_in_its_title() -> bytes:
    """Text that looks like names: a document-information dictionary written as many tools write it."""
    return raw_pdf([*PAGES, b"<< /Title (D:/JS/EF/Launch/XFA/cert \\(2026\\).docx) "
                            b"/Author (Office/JavaScript (v2/EmbeddedFiles)) >>"])


@pytest.mark.parametrize("make", [pdf_bytes, _with_link, lambda: object_stream_pdf(PAGES[:1], PAGES[1:]),
                                  _names_in_its_title],
                         ids=["reportlab", "verification-link-and-open-at-page", "object-streams", "names-in-text"])
def test_honest_pdfs_and_images_are_kept(app, make):
    data = make()
    with app.test_request_context():
        assert check_evidence(data) == ("pdf", data)
        assert claim_evidence.check(data) == ("pdf", data)
        assert check_evidence(png_bytes())[0] == "png"


def test_the_upload_pages_refuse_a_hidden_script_and_keep_nothing(app, client, auth):
    """Through the credit bank's page, a diploma PDF whose script sits in a compressed object stream."""
    from sqlalchemy import select

    from app.extensions import db
    from credits.models import Recognition
    from tests.conftest import csrf_token
    from tests.credits.credit_factories import request_values

    auth.as_role("worker")
    token = csrf_token(client, "/credits/recognition/new")
    hidden = (io.BytesIO(js_in_object_stream()), "diploma.pdf", "application/pdf")
    response = client.post("/credits/recognition/new", data={"csrf_token": token, **request_values(),
                                                             "evidence": hidden}, content_type="multipart/form-data")
    assert response.status_code == 400 and "PDF 中含有脚本" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Recognition.id)) is None
