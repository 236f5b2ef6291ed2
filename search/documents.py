"""From a resource to its search document: a pure function of plain values, no database and no app.

`ResourceDoc` is what any backend indexes; `to_document` turns it into the Whoosh fields. The catalog
adapter (`search.source`) fills ResourceDoc from the models; tests and the benchmark fill it directly.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from search.analysis import pinyin_terms

TAG_RE = re.compile(r"<[^>]*>")
SPACE_RE = re.compile(r"\s+")
BLOCK_RE = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|table|blockquote)\b[^>]*>", re.I)
DESCRIPTION_LIMIT = 4000  # characters of description text indexed; the rest adds size, not findability
SNIPPET_SOURCE_CHARS = 3000  # characters of the body kept for snippets: longer ones are highlighted from their start


@dataclass(frozen=True)
class ResourceDoc:
    id: int
    title: str
    kind: str                                   # course | video_lecture | micro_course
    summary: str = ""
    description_html: str = ""
    categories: Sequence[str] = ()              # menu category codes, ancestors included
    category_names: Sequence[str] = ()          # their names, searched as text
    industries: Sequence[str] = ()
    audiences: Sequence[str] = ()
    provider: str = ""                          # organisation code
    provider_name: str = ""
    teachers: Sequence[str] = ()
    tags: Sequence[str] = ()
    lessons: Sequence[str] = ()                 # unit and lesson titles
    credits: float = 0.0
    published_at: datetime | None = None        # naive UTC, as the database keeps it
    enrolled: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # ignored by the index


def html_to_text(value: str) -> str:
    """Visible text of (already sanitised) HTML, blocks separated by spaces."""
    if not value:
        return ""
    text = BLOCK_RE.sub(" ", value)
    text = TAG_RE.sub("", text)
    return SPACE_RE.sub(" ", html.unescape(text)).strip()


def epoch_seconds(moment: datetime | None) -> int:
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int(moment.timestamp()))


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def to_document(doc: ResourceDoc) -> dict[str, Any]:
    """The fields Whoosh indexes for `doc` (see search.engine_whoosh.schema)."""
    spelled: list[str] = []
    initials: list[str] = []
    body = (doc.summary + "\n" + html_to_text(doc.description_html)[:DESCRIPTION_LIMIT]).strip()
    for text in (doc.title, *doc.tags):
        full, firsts = pinyin_terms(text)
        spelled.extend(full)
        initials.extend(firsts)
    fields: dict[str, Any] = {
        "id": str(doc.id),
        "title": doc.title,
        "body": body,
        "meta": "\n".join([*doc.tags, *doc.lessons, *doc.teachers, doc.provider_name, *_unique(doc.category_names)]),
        "pinyin": " ".join(_unique(spelled)),
        "initials": " ".join(_unique(initials)),
        "kind": doc.kind,
        "category": " ".join(_unique(doc.categories)),
        "industry": " ".join(_unique(doc.industries)),
        "audience": " ".join(_unique(doc.audiences)),
        "provider": doc.provider,
        "has_credits": "1" if doc.credits > 0 else "0",
        "published_at": epoch_seconds(doc.published_at),
        "enrolled": max(0, int(doc.enrolled)),
    }
    fields["display"] = pack_display(Display(doc.title, doc.kind, doc.provider, doc.provider_name,
                                             float(doc.credits), doc.summary, body[:SNIPPET_SOURCE_CHARS]))
    fields["fingerprint"] = fingerprint(doc)
    # Whoosh refuses empty strings for some fields: leave them out instead.
    return {name: value for name, value in fields.items() if value != ""}


class Display(NamedTuple):
    """What a result shows without going back to the database, stored as one value per document
    (`pack_display`): field names are not repeated per document, and Whoosh compresses each document's stored
    value (its stored column is zlib per document), so the summary the body starts with costs little twice."""

    title: str
    kind: str
    provider: str
    provider_name: str
    credits: float
    summary: str
    body: str  # its first SNIPPET_SOURCE_CHARS characters: snippets are highlighted from those only


def pack_display(display: Display) -> str:
    """A str, not bytes: Whoosh pickles stored values with protocol 2, which spells bytes out as latin-1 text."""
    return json.dumps(display, ensure_ascii=False, separators=(",", ":"))


def unpack_display(data: str) -> Display:
    return Display(*json.loads(data))


def fingerprint(doc: ResourceDoc) -> str:
    """A short hash of everything indexed, so drift is seen even when no event was written."""
    values = [doc.id, doc.title, doc.kind, doc.summary, doc.description_html, doc.provider, doc.provider_name,
              float(doc.credits), epoch_seconds(doc.published_at), int(doc.enrolled)]
    values += [list(doc.categories), list(doc.category_names), list(doc.industries), list(doc.audiences),
               list(doc.teachers), list(doc.tags), list(doc.lessons)]
    raw = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=10).hexdigest()
