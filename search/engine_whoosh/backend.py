"""The embedded `SearchBackend`: a Whoosh index and a SQLite suggestion file per generation in one folder
(see `generations`: a rebuild builds beside the live index and switches when complete)."""

from __future__ import annotations

import fcntl
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar, cast

from search import analysis, changelog
from search.backend import CatchUp, IndexBusy, IndexCheck, SearchRequest, SearchResult, Suggestion, suggestion_limit
from search.changelog import Position
from search.documents import ResourceDoc
from search.engine_whoosh import generations
from search.engine_whoosh.execute import execute, warm
from search.engine_whoosh.generations import BUILDING, CURRENT, Generation, read_pointer, write_pointer
from search.engine_whoosh.postings import View
from search.engine_whoosh.store import REFRESH_SECONDS, IndexStore
from search.query import TEXT_FIELDS, Concept, ParsedQuery
from search.suggest import SuggestStore

_T = TypeVar("_T")


class _Switched(Exception):
    """A rebuild switched generations while this writer waited for the old one's lock."""


class _Batch:
    """Writes of one `WhooshBackend.batch`: index and suggestions under the index's lock, noted in the journal
    of a rebuild that is running (so that it catches up on them)."""

    def __init__(self, backend: WhooshBackend, live: Generation, writer: Any) -> None:  # a Whoosh writer
        self.backend, self.live, self.writer = backend, live, writer
        self.position: Position | None = None  # written once the index commit succeeded

    def set_position(self, position: Position) -> None:
        self.position = position

    def apply(self, docs: Iterable[ResourceDoc], delete_ids: Iterable[int]) -> tuple[int, int]:
        docs, delete_ids = list(docs), [int(i) for i in delete_ids]
        counts = self.live.store.apply(docs, delete_ids, writer=self.writer)
        self.live.suggestions.apply(docs, delete_ids)
        building = read_pointer(self.backend.folder, BUILDING)
        if building and building != self.live.name:
            Generation(self.backend.folder, building).journal([doc.id for doc in docs] + delete_ids)
        return counts


class WhooshBackend:
    """The embedded default. `store` and `suggestions` are the live generation's (engine tests use them)."""

    def __init__(self, folder: str | Path, build_procs: int = 1, replica: str = ""):
        self.folder = Path(folder)
        self.replica = replica or f"{socket.gethostname()}:{self.folder.resolve()}"
        self.build_procs = build_procs
        self._live_gen = Generation(self.folder, read_pointer(self.folder, CURRENT))
        self._checked_at = time.monotonic()
        self._switch_lock = threading.Lock()

    def _live(self, fresh: bool = False) -> Generation:
        """The live generation, looking at `CURRENT` at most every REFRESH_SECONDS (always when `fresh`)."""
        gen, now = self._live_gen, time.monotonic()
        if not fresh and now - self._checked_at < REFRESH_SECONDS:
            return gen
        self._checked_at = now
        name = read_pointer(self.folder, CURRENT)
        if name != gen.name:
            with self._switch_lock:
                if self._live_gen.name != name:
                    self._live_gen = Generation(self.folder, name)
                gen = self._live_gen
        return gen

    @property
    def store(self) -> IndexStore:
        return self._live().store

    @property
    def suggestions(self) -> SuggestStore:
        return self._live().suggestions

    @contextmanager
    def batch(self) -> Iterator[_Batch]:
        yielded = False
        while True:
            live = self._live(fresh=True)
            try:
                with live.store.writer() as writer:
                    if read_pointer(self.folder, CURRENT) != live.name:
                        raise _Switched
                    yielded = True
                    batch = _Batch(self, live, writer)
                    yield batch
                if batch.position is not None:  # after the commit: a crash in between repeats the work
                    live.write_position(batch.position)
                return
            except (_Switched, OSError):
                if yielded or read_pointer(self.folder, CURRENT) == live.name:
                    raise  # the caller's error, or one of the live index itself

    def apply(self, docs: Iterable[ResourceDoc], delete_ids: Iterable[int]) -> tuple[int, int]:
        with self.batch() as batch:
            counts = batch.apply(docs, delete_ids)
        self.refresh()
        return counts

    def index(self, docs: Iterable[ResourceDoc]) -> int:
        return self.apply(docs, [])[0]

    def delete(self, ids: Iterable[int]) -> int:
        return self.apply([], ids)[1]

    def position(self) -> Position | None:
        return self._live(fresh=True).position()

    def keep_position(self, position: Position) -> None:
        """Outside the index lock: a race with another process's batch can only move the position back, which
        repeats (idempotent) work; it never claims a change the index does not hold."""
        self._live(fresh=True).write_position(position)

    def refresh(self) -> None:
        """After a commit: the next View, with the words most recently searched prepared in it."""
        self._live(fresh=True).store.refresh(warm)

    def rebuild(self, docs: Iterable[ResourceDoc], progress: Callable[[int], None] | None = None,
                catch_up: CatchUp | None = None, workers: int | None = None, position: Position | None = None) -> int:
        analysis.jieba_tokenizer()  # load before any writer process forks, so children share it
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / "rebuild.lock", "w") as guard:
            try:
                fcntl.flock(guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as err:
                raise IndexBusy(f"another rebuild of {self.folder} is running") from err
            generations.sweep(self.folder, {read_pointer(self.folder, CURRENT)})
            new = Generation(self.folder, generations.new_name())
            write_pointer(self.folder, BUILDING, new.name)  # before reading the database: writes from now on
            try:                                            # are journaled for the catch-up
                count = self._build(new, docs, progress, workers or self.build_procs)
                old = self._switch(new, catch_up, position)
            except BaseException:
                (self.folder / BUILDING).unlink(missing_ok=True)
                new.remove()
                raise
        old.remove()
        self.refresh()
        return count

    def _build(self, new: Generation, docs: Iterable[ResourceDoc], progress: Callable[[int], None] | None,
               procs: int) -> int:
        db = new.suggestions._db()  # noqa: SLF001 - our own store: one transaction for the whole bulk load
        with db:
            bulk = new.suggestions.bulk(db)

            def feed() -> Iterator[ResourceDoc]:
                for doc in docs:
                    bulk.add(doc)
                    yield doc

            count = new.store.rebuild(feed(), progress, procs=procs)
            bulk.finish()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # fold the big transaction back into the file
        return count

    def _switch(self, new: Generation, catch_up: CatchUp | None, position: Position | None) -> Generation:
        """Under the live generation's lock (no write to it in between): apply to `new` what the live one
        changed during the build, then point CURRENT at `new`. Returns the old generation.

        `new` then holds everything the live index held (what it applied before the build read the database
        is in the build, what it applied during the build is caught up), and everything up to `position` (the
        log as it was before the build read the database): its position is the further of the two."""
        while True:
            old = self._live(fresh=True)
            with old.store.holding():
                if read_pointer(self.folder, CURRENT) != old.name:
                    continue  # another process switched meanwhile (it cannot: the rebuild lock; but be sure)
                changed = new.journaled()
                if changed and catch_up:
                    docs, gone = catch_up(changed)
                    with new.store.writer() as writer:
                        new.store.apply(docs, gone, writer=writer)
                        new.suggestions.apply(docs, gone)
                merged = changelog.later(old.position(), position)
                if merged is not None:
                    new.write_position(merged)
                write_pointer(self.folder, CURRENT, new.name)
                (self.folder / BUILDING).unlink(missing_ok=True)
                with self._switch_lock:
                    self._live_gen, self._checked_at = new, time.monotonic()
                return old

    def _on_live(self, query: Callable[[], _T]) -> _T:
        """Run `query`, once more if a rebuild switched generations and removed the files it was opening (a new
        host builds its replica while it starts; this process may still have been looking at the old one)."""
        name = self._live().name
        try:
            return query()
        except (OSError, sqlite3.Error):
            if self._live(fresh=True).name == name:
                raise
            return query()

    def search(self, request: SearchRequest) -> SearchResult:
        return self._on_live(lambda: self._search(request))

    def version(self) -> Hashable:
        live = self._live()
        return live.name, live.store.view().generation

    def _search(self, request: SearchRequest) -> SearchResult:
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

    def _did_you_mean(self, view: View, parsed: ParsedQuery | None) -> str | None:
        """The query with each part that was not found as typed replaced by the likeliest intended words."""
        if parsed is None or parsed.empty:
            return None
        parts: list[str] = []
        changed = False
        for concept in parsed.concepts:
            fixed = self._fix(view, concept)
            parts.append(fixed or concept.text)
            changed = changed or bool(fixed and fixed != concept.text)
        return " ".join(parts) if changed else None

    def _fix(self, view: View, concept: Concept) -> str | None:
        """A correction of the concept made of words the live index holds: the suggestion file keeps the words of
        titles since withdrawn (a review read 裁员 back from a withdrawn draft's title)."""

        def live(word: str | None) -> str | None:  # held by a document not deleted (a term outlives its documents)
            return word if word and any(view.has_live(f, word) for f in TEXT_FIELDS) else None

        for alt in concept.alternatives:
            if alt.kind == "pinyin":  # read by sound: say which Chinese it found
                chinese = [live(self.suggestions.chinese_for(token)) for token in alt.tokens]
                return "".join(cast(list[str], chinese)) if all(chinese) else None
        if len(concept.alternatives) != 1 or concept.alternatives[0].kind != "text":
            return None  # a synonym or a pinyin/initials reading already answered it
        words = list(concept.alternatives[0].words or concept.alternatives[0].tokens)
        if all(
                any(view.has_term(f, w) for f in TEXT_FIELDS) for w in words):
            return None
        fixed: list[str] = []
        for word in words:
            if analysis.has_cjk(word):  # a Chinese typo: a word that sounds (nearly) the same
                spelled = analysis.spelled(word)[0]
                fixed.append(live(self.suggestions.chinese_for(self.suggestions.correct(spelled) or spelled)) or word)
                continue
            correction = self.suggestions.correct(word)
            fixed.append(live((self.suggestions.chinese_for(correction) or correction) if correction else None) or word)
        return "".join(fixed) if analysis.has_cjk(concept.text) else " ".join(fixed)

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        return self._on_live(lambda: self._suggest(prefix, limit))

    def _suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        """Titles of resources live in the current view only: the suggestion file is written in the same lock
        as the index, but another process's view, a failed rebuild or an unpublish between the two commits
        could still name a resource that is gone, and a suggestion must never lead to nothing."""
        view = self.store.view()
        limit = suggestion_limit(limit)
        found = self.suggestions.suggest(prefix, limit + 4)
        return [s for s in found if view.has_live("id", str(s.id))][:limit]

    def fingerprints(self) -> dict[int, str]:
        return self.store.stored_ids()

    def check(self, expected: Mapping[int, str]) -> IndexCheck:
        indexed = self.fingerprints()
        return IndexCheck(expected=len(expected), indexed=len(indexed),
                          missing=sorted(set(expected) - set(indexed)), extra=sorted(set(indexed) - set(expected)),
                          stale=sorted(rid for rid, print_ in expected.items()
                                       if rid in indexed and indexed[rid] != print_))

    def stats(self) -> dict[str, Any]:
        live = self._live(fresh=True)
        view = live.store.view()
        position = live.position()
        return {"documents": view.doc_count, "segments": len(view.leaves), "generation": view.generation,
                "folder": live.name or ".", "building": read_pointer(self.folder, BUILDING) or None,
                "needs_rebuild": live.store.needs_rebuild, "suggestions": live.suggestions.count(),
                "log_seen": position.seen if position else None,
                "jieba_load_seconds": analysis.load_seconds()}
