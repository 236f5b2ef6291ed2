"""The site's PDF font: found in the wheel, and a clear message (never a PDF in some other font) when it is not
installed or is not the file whose licence we checked."""

from __future__ import annotations

import pytest

from app import pdf_font


def test_the_font_comes_from_the_wheel_with_the_checked_digest():
    assert pdf_font.font_path().name == "wqy-microhei.ttc"
    assert pdf_font.pdf_font() == pdf_font.FONT == pdf_font.pdf_font()  # registered once


def test_a_missing_font_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf_font, "PACKAGE", "no_such_font_package")
    monkeypatch.setattr(pdf_font, "DEBIAN", tmp_path / "absent.ttc")
    with pytest.raises(pdf_font.PdfFontMissing, match="pip install paperang-p2-fonts-cjk"):
        pdf_font.font_path()


def test_another_file_in_its_place_is_refused(monkeypatch, tmp_path):
    impostor = tmp_path / "wqy-microhei.ttc"
    impostor.write_bytes(b"not the font")
    monkeypatch.setattr(pdf_font, "PACKAGE", "no_such_font_package")
    monkeypatch.setattr(pdf_font, "DEBIAN", impostor)
    with pytest.raises(pdf_font.PdfFontMissing, match="is not WenQuanYi Micro Hei"):
        pdf_font.font_path()
