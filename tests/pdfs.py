"""What every PDF the site makes must be, read back with pypdf as a viewer would: its text extracts (so the
font maps glyphs back to characters), and every font that draws text is embedded as a TrueType subset
(FontFile2, a name like ABCDEF+WenQuanYiMicroHei), so any phone shows the same letters."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader

SUBSET = re.compile(r"^/[A-Z]{6}\+")


def _descriptor(font: Any) -> Any:
    if "/DescendantFonts" in font:
        font = font["/DescendantFonts"][0].get_object()
    return font["/FontDescriptor"].get_object() if "/FontDescriptor" in font else None


def embedded_fonts(data: bytes) -> set[str]:
    """The base names of the fonts that draw text on any page; fails if one is not an embedded TrueType subset.
    (reportlab selects Helvetica at the top of every page; a font that draws nothing is not asked about.)"""
    drawing: list[Any] = []

    def visit(found: str, _cm: Any, _tm: Any, font: Any, _size: Any) -> None:
        if found.strip() and font is not None:
            drawing.append(font)

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    names: set[str] = set()
    for font in drawing:
        descriptor = _descriptor(font)
        assert descriptor is not None and "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
        assert SUBSET.match(str(font["/BaseFont"])), f"{font['/BaseFont']} is not a subset"
        names.add(str(font["/BaseFont"]))
    return names


def text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def assert_embeds_the_site_font(data: bytes, title: str) -> None:
    """The PDF sets `title` (extracted as text) in an embedded subset of the site's font, and nothing else."""
    assert data.startswith(b"%PDF")
    names = embedded_fonts(data)
    assert names and all("WenQuanYiMicroHei" in n for n in names), names
    assert title in text(data).replace("\n", ""), text(data)[:300]
