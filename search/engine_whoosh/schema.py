"""The Whoosh schema of the resource index.

Text fields carry the BM25F field boosts of `search.ranking` so that a title match outranks a description
match. Pinyin and initials of title and tag words live in their own keyword fields. Facet fields are single-
token columns or multi-valued keywords read by `postings.View` as bitsets; `published_at` and `enrolled` are
sortable numeric columns for the two non-relevance orders.

Changing anything here means `SCHEMA_VERSION` goes up; an index with another version is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Frequency
from whoosh.system import pack_uint

from search.engine_whoosh.tokenizer import ChineseTokenizer, analyzer
from search.ranking import PINYIN_FIELDS, TEXT_FIELDS

SCHEMA_VERSION = 2  # 2: what a result shows is one compressed stored value (`display`), no stored text fields


class ChineseFrequency(Frequency):
    """Whoosh's Frequency format with a direct path from our tokenizer to (term, count): skips the Token
    objects of the generic path, a third of indexing time. No positions: phrases are answered by the
    word pairs (shingles) the analyzer indexes, which is one posting list instead of a positions check."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        if not isinstance(analyzer, ChineseTokenizer) or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for term, count in analyzer.counts(value).items():
            yield term, count, count * boost, pack_uint(count)


def text_field(boost: float) -> TEXT:
    field = TEXT(analyzer=analyzer(), field_boost=boost, phrase=False)
    field.format = ChineseFrequency(field_boost=boost)
    return field


def build_schema() -> Schema:
    fields = {
        "id": ID(stored=True, unique=True),
        "fingerprint": STORED(),  # hash of the indexed content, compared by `qiuxue search check`
        "pinyin": KEYWORD(scorable=True, field_boost=PINYIN_FIELDS["pinyin"]),
        "initials": KEYWORD(scorable=True, field_boost=PINYIN_FIELDS["initials"]),
        # Facets are scorable keywords only because Whoosh 2.7 stats the file system for every posting of a
        # field without a lengths column when it writes a segment (slower build by half).
        "kind": KEYWORD(scorable=True),
        "category": KEYWORD(scorable=True),  # menu category codes, each with all its ancestors
        "industry": KEYWORD(scorable=True),
        "audience": KEYWORD(scorable=True),
        "provider": KEYWORD(scorable=True),  # organisation code
        "has_credits": KEYWORD(scorable=True),  # "1" or "0"
        # What a result shows without going back to the database (title, kind, provider, summary, the body's
        # start for snippets...): `search.documents.Display`; published_at and enrolled are columns.
        "display": STORED(),
        # Sort keys as plain columns, not indexed terms: only the sort orders read them.
        "published_at": COLUMN(NumericColumn("q")),  # epoch seconds
        "enrolled": COLUMN(NumericColumn("q")),
    }
    for name, boost in TEXT_FIELDS.items():  # not stored: `display` holds the text a result shows
        fields[name] = text_field(boost)
    return Schema(**fields)
