"""Relevance in one place: field boosts, BM25's parameters and formula, how much each reading of a query
counts, and how ties are broken. Engine-neutral numbers: the Whoosh engine writes the boosts into its schema
and scores with `bm25`; another backend maps the same numbers onto its own scoring.

Changing a number here changes every ranking: tests/search/test_relevance.py, test_demo_relevance.py and
test_mooc.py hold the orders the catalog's users expect.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# Text field -> BM25F boost: a word's score in a document is that of its best field (dis-max), so a title
# match outranks a description match. `meta` holds the short labels (tags, lessons, teachers, provider).
TEXT_FIELDS: dict[str, float] = {"title": 8.0, "meta": 3.0, "body": 1.0}
# Pinyin and initials of title and tag words: for queries typed by sound (diangong, dg).
PINYIN_FIELDS: dict[str, float] = {"pinyin": 3.0, "initials": 1.0}
FIELD_ORDER = tuple(sorted(TEXT_FIELDS, key=TEXT_FIELDS.__getitem__))  # ascending: later fields overwrite
K1, B = 1.2, 0.75

# How much each reading of a concept counts against the words as typed (1.0); the strongest reading wins.
PINYIN_WEIGHT = 0.8          # letters read as pinyin (diangong -> 电工)
INITIALS_WEIGHT = 0.6        # letters read as initials (dg -> 电工)
APART_WEIGHT = 0.3           # 叉 车 typed apart, matched as separate words
STEM_WEIGHT = 0.9            # 电工证 -> 电工: the trade, the certificate a preference
SYNONYM_WEIGHT = 0.9         # 铲车 -> 叉车 (admins' and built-in synonyms)
SOUND_ALIKE_WEIGHT = 0.5     # a Chinese word not found, matched by its sound (a typo)
PREFER_WEIGHT = 0.5          # share of a preferred word's score added to a document that matched anyway


def idf(doc_count: int, doc_frequency: int) -> float:
    return math.log(1 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def bm25(tfs: Sequence[float], lengths: Sequence[int], boost: float, doc_count: int,
         avg_length: float, doc_frequency: int | None = None) -> list[float]:
    """BM25F scores of one term in one field for documents with term frequencies `tfs` and field `lengths`
    (Whoosh's BM25F with the same K1 and B, computed for a whole posting list at once, or for a block of it:
    then `doc_frequency` is the whole list's length)."""
    norm = K1 * B / avg_length
    frequency = len(tfs) if doc_frequency is None else doc_frequency
    base, scale = K1 * (1 - B), boost * idf(doc_count, frequency) * (K1 + 1)
    return [scale * tf / (tf + base + norm * length) for tf, length in zip(tfs, lengths, strict=True)]


def tie_order(score: float, enrolled: int) -> tuple[float, int]:
    """Sort key of a hit by relevance: the score (to six places, so float noise ties), then the most enrolled."""
    return (-round(score, 6), -enrolled)
