"""app.text.is_certificate_number: the input rule behind "one certificate paid (or credited) once"."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.text import is_certificate_number


@pytest.mark.parametrize("typed", ["ZJ-2026-0005", "zj 2026/0005", "S330100.2025_0001", "ＺＪ－２０２６－０００５",
                                   "Ｓ３３０１００．２０２５—０００１", "ZJ\u30002026", "S330100—2025"])
def test_numbers_as_printed_or_typed_on_a_chinese_keyboard_pass(typed):
    assert is_certificate_number(typed)


@pytest.mark.parametrize("typed", ["第ZJ-2026-0005号", "ΖJ-2026-0005", "Ѕ-2026-0001", "ZJ-2026-ОО05", "ZJ·2026",
                                   "ZJ\t2026", "ZJ\u200b2026", "ZJ-2026\u202e", "ß1", "", "证书"])
def test_other_letters_marks_and_controls_are_refused(typed):
    assert not is_certificate_number(typed)


@given(st.text(max_size=30))
def test_what_passes_has_an_identity_of_ascii_letters_and_digits_only(typed):
    """Whatever passes, its identity (NFKC, letters and digits kept) can hold no lookalike of another number's."""
    if is_certificate_number(typed):
        kept = "".join(ch for ch in unicodedata.normalize("NFKC", typed).upper() if ch.isalnum())
        assert kept.isascii()
