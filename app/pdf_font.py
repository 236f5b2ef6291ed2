"""The site's PDF font: every PDF we make (certificates, transcripts, recruitment posters, reports, quality
reports) sets its Chinese in WenQuanYi Micro Hei (文泉驿微米黑) and carries the subset of glyphs it uses.

Why this font: reportlab embeds subsets of TrueType (glyf) fonts only; Noto/Source Han CJK are CFF, and
reportlab's built-in STSong-Light is a name without glyphs, which a phone viewer without that font draws as
boxes or in whatever it substitutes. Micro Hei has glyf outlines covering GB 18030's common characters and
Latin, and is free (Apache-2.0, or GPL-3+ with the font exception: embedding in a document is allowed).

Where it comes from: the PyPI wheel `paperang-p2-fonts-cjk` (so `pip install` is enough on any machine), whose
file is byte for byte Debian's fonts-wqy-microhei 0.2.0-beta-3.1 (the digest below, checked on first use);
the Debian file is the fallback. Without either, making a PDF fails with a message saying what to install."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from importlib import resources
from pathlib import Path

FONT = "QiuxueCJK"  # the name PDF producers pass to setFont / ParagraphStyle(fontName=...)
PACKAGE = "paperang_p2_fonts_cjk"
FILE = "wqy-microhei.ttc"
DEBIAN = Path("/usr/share/fonts/truetype/wqy") / FILE
SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"

_lock = threading.Lock()


class PdfFontMissing(RuntimeError):
    """The font file is not installed, or is not the file we checked: no PDF can be made."""


def candidates() -> list[Path]:
    """Where the font may be: inside the wheel, then Debian's package."""
    found: list[Path] = []
    with contextlib.suppress(ModuleNotFoundError):
        found.append(Path(str(resources.files(PACKAGE) / "fonts" / FILE)))
    found.append(DEBIAN)
    return found


def font_path() -> Path:
    """The installed font file with the expected digest, or PdfFontMissing naming what to install."""
    for path in candidates():
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if digest != SHA256:
                raise PdfFontMissing(f"{path} is not WenQuanYi Micro Hei 0.2.0-beta (sha256 {digest}); "
                                     "reinstall paperang-p2-fonts-cjk==0.1.0 or fonts-wqy-microhei")
            return path
    raise PdfFontMissing("the PDF font WenQuanYi Micro Hei is not installed: `pip install paperang-p2-fonts-cjk` "
                         "(a dependency of qiuxue) or `apt-get install fonts-wqy-microhei`")


def pdf_font() -> str:
    """Register the font with reportlab once per process and return its name; reportlab then embeds, in each
    PDF, only the glyphs that PDF uses (a subset named like ABCDEF+WenQuanYiMicroHei). Reading the font's
    tables takes reportlab a few seconds (pure Python, 20,000+ glyphs): the first PDF of a process pays it."""
    # reportlab (~12 MB resident) is imported when the first PDF is made, not by every web process at start
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(font_path()), subfontIndex=0))
    return FONT
