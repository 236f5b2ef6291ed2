"""What the rest of the site asks of search: the `SearchBackend` interface and its small request and
result types. Views, the API, the CLI, catalog hooks and the indexer use only this module; the embedded
implementation is `search.engine_whoosh.WhooshBackend`, and a search cluster for provincial scale replaces it
by implementing these methods over `ResourceDoc`. Nothing here knows Whoosh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from markupsafe import Markup

from search.changelog import Position
from search.documents import ResourceDoc
from search.query import ParsedQuery

# Request parameter -> document field, in the order facets are shown.
FACETS: dict[str, str] = {
    "kind": "kind",
    "category": "category",
    "industry": "industry",
    "audience": "audience",
    "provider": "provider",
    "credits": "has_credits",
}
SORTS = ("relevance", "newest", "enrolled")
MAX_PER_PAGE = 50
MAX_PAGE = 100
MAX_SUGGESTIONS = 10


def suggestion_limit(limit: int, ceiling: int = MAX_SUGGESTIONS) -> int:
    """`limit` within 1..ceiling: below 1 it once lifted the cap (SQLite reads LIMIT -4 as no limit)."""
    return max(1, min(ceiling, limit))


class IndexBusy(RuntimeError):
    """Another process held the index's write lock for longer than the timeout; try again later."""


@dataclass
class SearchRequest:
    q: str = ""
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)  # facet name -> accepted values
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    facets: bool = True
    highlight: bool = True   # snippets and marked titles for the shown page
    synonyms: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass
class Hit:
    id: int
    title: str
    kind: str
    provider: str
    provider_name: str
    credits: float
    score: float
    title_html: Markup
    snippet: Markup
    published_at: int = 0
    enrolled: int = 0


@dataclass
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    relaxed: bool = False                    # AND found nothing: these match some of the words
    suggestion: str | None = None            # "did you mean"
    corrected_from: str | None = None        # the query found nothing; results are for `suggestion`
    synonyms_used: tuple[tuple[str, str], ...] = ()
    query: ParsedQuery | None = None

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def synonym_notes(self) -> dict[str, list[str]]:
        """term -> what it also found, for one note per term (叉车工 has five official and catalog names)."""
        notes: dict[str, list[str]] = {}
        for term, also in self.synonyms_used:
            notes.setdefault(term, []).append(also)
        return notes


class Suggestion(NamedTuple):
    id: int
    title: str


@dataclass
class IndexCheck:
    """The index against what should be in it (resource id -> fingerprint of its document)."""

    expected: int                                    # documents that should be searchable
    indexed: int                                     # documents the index holds
    missing: list[int] = field(default_factory=list)  # should be searchable, are not
    extra: list[int] = field(default_factory=list)    # searchable, should not be
    stale: list[int] = field(default_factory=list)    # searchable with an older content

    @property
    def drifted(self) -> list[int]:
        return [*self.missing, *self.extra, *self.stale]


# Given the ids the live index changed while a rebuild read the database: (documents to index, ids to remove).
CatchUp = Callable[[list[int]], tuple[list[ResourceDoc], list[int]]]


class IndexBatch(Protocol):
    def apply(self, docs: Iterable[ResourceDoc], delete_ids: Iterable[int]) -> tuple[int, int]:
        """Add or replace `docs` and remove `delete_ids` (missing ones are fine): (indexed, deleted)."""

    def set_position(self, position: Position) -> None:
        """Where the index is in the change log once this batch is committed (kept only if the commit is)."""


class SearchBackend(Protocol):
    def batch(self) -> AbstractContextManager[IndexBatch]:
        """The index's only writer, held from reading the database to the index commit (so two processes
        cannot write an older state over a newer one); commits on leaving, cancels on error. Raises IndexBusy."""

    def apply(self, docs: Iterable[ResourceDoc], delete_ids: Iterable[int]) -> tuple[int, int]:
        """Index (add or replace) `docs` and remove `delete_ids`, durably, in one step: (indexed, deleted)."""

    def index(self, docs: Iterable[ResourceDoc]) -> int: ...

    def delete(self, ids: Iterable[int]) -> int: ...

    def rebuild(self, docs: Iterable[ResourceDoc], progress: Callable[[int], None] | None = None,
                catch_up: CatchUp | None = None, workers: int | None = None, position: Position | None = None) -> int:
        """Build a new generation from `docs` beside the live one, which keeps answering and being written;
        then `catch_up` on what the live one changed meanwhile, and switch. `workers`: processes the build
        may use (None: the backend's default). `position`: the change log's position before `docs` were read.
        Returns the documents built."""

    replica: str  # the name this replica reports itself under in the database (host and folder)

    def position(self) -> Position | None:
        """Where this replica is in the change log; None when it must be built from the database first."""

    def keep_position(self, position: Position) -> None:
        """Record a position reached without writing the index (holes in the log given up)."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def version(self) -> Hashable:
        """What the next search answers from (the live index and its last commit this process sees): changes
        whenever a result could, so a page made from results can be kept under it (search/views.py)."""

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]: ...

    def check(self, expected: Mapping[int, str]) -> IndexCheck:
        """Compare the index with `expected` (resource id -> fingerprint of its current document)."""

    def refresh(self) -> None:
        """Prepare what queries will read after a commit (here or in another process), off the query path."""

    def stats(self) -> dict[str, Any]: ...
