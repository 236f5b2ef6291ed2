"""Rules for plain text that people type: no control characters (NUL cannot even be stored in
PostgreSQL, and the rest only hide things), shared by every service that stores names.

`clean_text` is the one cleaning function, applied on input (catalog, lessons, union catalogs, enquiries,
surveys, objections, data exchange; names of people and organisations refuse the same characters through
`has_control_chars`) and again on output wherever text leaves as XML or a spreadsheet
(XLSX, Atom, OAI-PMH), so rows stored before it existed cannot break a feed either. It removes:

- control characters (C0 but tab, line feed and carriage return; DEL; C1): invisible, and C0 is illegal in XML;
- surrogates and the noncharacters (U+FFFE, U+FFFF, U+FDD0-U+FDEF, and the last two of every plane):
  XML 1.0 forbids U+FFFE/U+FFFF and surrogates, and none of them is text;
- bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): U+202E turns
  "课程exe.pdf" into what looks like another name on screen. The marks U+200E/U+200F stay: they only
  nudge neutral characters and are legitimate in Arabic or Hebrew text.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum.cn import ric

_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"    # controls (tab, LF and CR are kept)
    "\u202a-\u202e\u2066-\u2069"             # bidi embeddings, overrides and isolates
    "\ud800-\udfff"                          # lone surrogates (from broken decoders or JSON escapes)
    "\ufdd0-\ufdef\ufffe\uffff"              # noncharacters of the basic plane
    + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17))
    + "]")


def clean_text(text: str | None) -> str:
    """A plain-text value with the characters above removed and surrounding space trimmed.
    Escaping for HTML is left to the templates."""
    return xml_safe(text).strip()


def xml_safe(text: str | None) -> str:
    """`clean_text` without the trimming, for output: what is left is legal in XML 1.0 and shows as written."""
    return _FORBIDDEN.sub("", text or "")


def has_control_chars(value: str | None, allow_newlines: bool = False) -> bool:
    """For inputs that refuse rather than clean (names of people and organisations): any character
    `clean_text` removes, and tab or line breaks unless allowed."""
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return (any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value or "")
            or bool(_FORBIDDEN.search(value or "")))


MAX_DIGITS = 18  # no id, offset, size or count of ours is longer, and 18 digits always fit a 64-bit integer


def is_digits(text: str) -> bool:
    """Whether `text` is a plain number int() reads and a database column holds: ASCII digits only (`str.isdigit`
    also accepts '²', which a Content-Length or form value of latin-1 bytes can hold, and '①') and at most
    MAX_DIGITS of them (int() refuses more than 4,300 digits with a 500)."""
    return len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def is_certificate_number(text: str) -> bool:
    """Whether `text` may be a certificate number (学历证书编号, 职业技能等级证书编号, 职业资格证书编号, all printed in
    ASCII letters and digits): after NFKC (full-width ＺＪ－００５ is ZJ-005), only ASCII letters, digits, and
    separators: space, - / . _ or any dash (a Chinese keyboard's ——). The numbers' identity ignores separators and
    case but keeps every other letter, so the number is refused at input rather than folded: "第ZJ-0005号" or a
    Greek Ζ or Cyrillic Ѕ for Z or S would otherwise be a new number, one certificate paid or credited twice.
    Empty is not a number; whether one is required is the caller's rule."""
    folded = unicodedata.normalize("NFKC", text)
    return bool(folded) and all((ch.isascii() and (ch.isalnum() or ch in " -/._")) or unicodedata.category(ch) == "Pd"
                                for ch in folded)


_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")


def id_number_form(text: str | None) -> str:
    """An ID number (居民身份证号码) in the one form it is stored and compared in: NFKC (full-width １１０１…, what a
    phone keyboard's 全角 mode types, is 1101…), trimmed, X upper-cased. Every ID number that comes from a person or
    a file passes here before it is checked or looked up: two forms of one number would be two people to every
    comparison by string (one ID, one account; a department's own records; a merge's or phone change's ID check)."""
    return unicodedata.normalize("NFKC", text or "").strip().upper()


def is_id_number(number: str) -> bool:
    """Whether `number` (as `id_number_form` gives it) is an 18-character ID number: 17 ASCII digits and a digit or X,
    with a valid birth date and check digit. stdnum alone also accepts other scripts' digits, so one number in many
    forms, each stored as typed."""
    return bool(_ID_NUMBER.fullmatch(number)) and ric.is_valid(number)
