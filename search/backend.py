"""What the rest of the site asks of search, as a small interface, and its Whoosh implementation.

`SearchBackend` is all that views, the indexer and the CLI use, so that a search cluster can replace the
embedded Whoosh index at provincial scale by implementing these few methods over ResourceDoc.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from search import analysis
from search.documents import ResourceDoc
from search.engine import SearchRequest, SearchResult, execute, warm
from search.index import IndexStore
from search.query import TEXT_FIELDS, ParsedQuery
from search.suggest import Suggestion, SuggestStore


class SearchBackend(Protocol):
    def apply(self, docs: Iterable[ResourceDoc], delete_ids: Iterable[int]) -> tuple[int, int]:
        """Index (add or replace) `docs` and remove `delete_ids`, durably, in one step: (indexed, deleted)."""

    def rebuild(self, docs: Iterable[ResourceDoc], progress: Callable[[int], None] | None = None) -> int:
        """Replace everything with `docs`; searches see the old index until the new one is complete."""

    def search(self, request: SearchRequest) -> SearchResult: ...

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]: ...

    def fingerprints(self) -> dict[int, str]:
        """Resource id -> fingerprint of what is indexed, for drift checks."""

    def stats(self) -> dict[str, Any]: ...


class WhooshBackend:
    """The embedded default: a Whoosh index and a SQLite suggestion file in one folder."""

    def __init__(self, folder: str | Path, build_procs: int = 1):
        self.folder = Path(folder)
        self.store = IndexStore(self.folder / "index")
        self.suggestions = SuggestStore(self.folder / "suggest.sqlite")
        self.build_procs = build_procs

    def apply(self, docs: Iterable[ResourceDoc], delete_ids: Iterable[int]) -> tuple[int, int]:
        docs, delete_ids = list(docs), list(delete_ids)
        with self.store.writer() as writer:  # the suggestion file is written under the index's lock too
            counts = self.store.apply(docs, delete_ids, writer=writer)
            self.suggestions.apply(docs, delete_ids)
        self.refresh()
        return counts

    def refresh(self) -> None:
        """After a commit here: the next View, with the words most recently searched prepared in it."""
        self.store.refresh(warm)

    def rebuild(self, docs: Iterable[ResourceDoc], progress: Callable[[int], None] | None = None) -> int:
        analysis.jieba_tokenizer()  # load before any writer process forks, so children share it
        db = self.suggestions._db()
        with db:  # one transaction: autocomplete keeps the old titles until the new index is committed
            db.execute("DELETE FROM entries")
            db.execute("DELETE FROM words")
            db.execute("DELETE FROM variants")

            bulk = self.suggestions.bulk(db)

            def feed() -> Iterator[ResourceDoc]:
                for doc in docs:
                    bulk.add(doc)
                    yield doc

            count = self.store.rebuild(feed(), progress, procs=self.build_procs)
            bulk.finish()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the big transaction back into the file
        self.refresh()
        return count

    def search(self, request: SearchRequest) -> SearchResult:
        """Results for `request`; a "did you mean" only when searching it (with the same filters) finds
        something: shown instead when the query found nothing, else offered."""
        view = self.store.view()
        result = execute(view, request)
        suggestion = self._did_you_mean(view, result.query)
        if suggestion and result.total == 0:
            corrected = execute(view, replace(request, q=suggestion))
            if corrected.total:
                corrected.suggestion, corrected.corrected_from = suggestion, request.q
                return corrected
            suggestion = None
        elif suggestion and not execute(view, replace(request, q=suggestion, page=1, per_page=1, facets=False,
                                                      highlight=False)).total:
            suggestion = None
        result.suggestion = suggestion
        return result

    def _did_you_mean(self, view, parsed: ParsedQuery | None) -> str | None:
        """The query with each part that was not found as typed replaced by the likeliest intended words."""
        if parsed is None or parsed.empty:
            return None
        parts, changed = [], False
        for concept in parsed.concepts:
            fixed = self._fix(view, concept)
            parts.append(fixed or concept.text)
            changed = changed or bool(fixed and fixed != concept.text)
        return " ".join(parts) if changed else None

    def _fix(self, view, concept) -> str | None:
        for alt in concept.alternatives:
            if alt.kind == "pinyin":  # read by sound: say which Chinese it found
                words = [self.suggestions.chinese_for(token) for token in alt.tokens]
                return "".join(words) if all(words) else None
        if len(concept.alternatives) != 1 or concept.alternatives[0].kind != "text":
            return None  # a synonym or a pinyin/initials reading already answered it
        words = list(concept.alternatives[0].words or concept.alternatives[0].tokens)
        if all(
                any(view.has_term(f, w) for f in TEXT_FIELDS) for w in words):
            return None
        fixed = []
        for word in words:
            if analysis.has_cjk(word):  # a Chinese typo: a word that sounds (nearly) the same
                spelled = analysis.spelled(word)[0]
                fixed.append(self.suggestions.chinese_for(self.suggestions.correct(spelled) or spelled) or word)
                continue
            correction = self.suggestions.correct(word)
            fixed.append((self.suggestions.chinese_for(correction) or correction) if correction else word)
        return "".join(fixed) if analysis.has_cjk(concept.text) else " ".join(fixed)

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        """Titles of resources live in the current view only: the suggestion file is written in the same lock
        as the index, but another process's view, a failed rebuild or an unpublish between the two commits
        could still name a resource that is gone, and a suggestion must never lead to nothing."""
        view = self.store.view()
        found = self.suggestions.suggest(prefix, limit + 4)
        return [s for s in found if view.has_live("id", str(s.id))][:limit]

    def fingerprints(self) -> dict[int, str]:
        return self.store.stored_ids()

    def stats(self) -> dict[str, Any]:
        view = self.store.view()
        return {"documents": view.doc_count, "segments": len(view.leaves), "generation": view.generation,
                "needs_rebuild": self.store.needs_rebuild, "suggestions": self.suggestions.count(),
                "jieba_load_seconds": analysis.load_seconds()}
