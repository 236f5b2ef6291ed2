"""The index on disk: one writer at a time across processes (Whoosh's file lock, waited for), and one
`View` per process that is replaced when another process (or thread) commits a new generation.

`IndexStore.views()` is what queries use: it checks at most every `REFRESH_SECONDS` whether the index
moved on and then builds the next View while the old one keeps answering.
"""

from __future__ import annotations

import gc
import logging
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, cast

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3PostingsWriter, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.util.numeric import length_to_byte
from whoosh.writing import CLEAR, LockError

from search.backend import IndexBusy
from search.documents import ResourceDoc, to_document
from search.engine_whoosh.parallel_writer import BulkMultiWriter
from search.engine_whoosh.postings import View
from search.engine_whoosh.schema import SCHEMA_VERSION, build_schema
from search.engine_whoosh.segment_writer import BulkSegmentWriter

REFRESH_SECONDS = 0.2   # how stale a process's view may be; unpublished resources vanish well within 2 s
WRITE_TIMEOUT = 30.0    # seconds to wait for another process's writer
VERSION_FILE = "schema_version"
OPEN_ATTEMPTS = 5  # a searcher opened while commits land (`IndexStore._searcher`)

_log = logging.getLogger(__name__)


class PlainLengthsCodec(W3Codec):
    """Whoosh's W3 codec without per-block length statistics: those serve Whoosh's own block-max scoring,
    which `postings` does not use (it scores from the lengths column), and reading each posting's
    document length back while writing a segment cost an eighth of the build time."""

    # Whoosh internals (W3Codec.length_stats): tested by
    # tests/search/test_whoosh_internals.py::test_whooshs_own_searcher_finds_the_same_in_our_index_as_in_its_own
    length_stats = False

    def __init__(self) -> None:
        super().__init__(inlinelimit=INLINE_LIMIT)

    # Whoosh internals (W3Codec's _blocklimit/_compression/_inlinelimit): tested by
    # tests/search/test_segment_writer.py::test_segments_are_byte_for_byte_whooshs
    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        return _InliningPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                                       compression=self._compression, inlinelimit=self._inlinelimit)


INLINE_LIMIT = 2  # a term with fewer postings keeps them in its term entry (every id, most word pairs)


class _InliningPostingsWriter(W3PostingsWriter):
    """W3's posting writer with its inlining working (Whoosh 2.7 calls `set_inline`, which W3TermInfo spells
    `set_inlined`): a term with a single posting keeps it in its entry of the term file, as a pickled tuple,
    instead of a posting block of its own (about 60 bytes: block length, block header, zlib frame) and a
    pointer to it. Half the terms have one posting (every document's id, rare word pairs). Any Whoosh reader
    reads inlined postings (W3Codec.postings_reader); segments written before simply have none."""

    # Whoosh internals (W3PostingsWriter's written/_terminfo/_ids/_weights/_values, W3TermInfo.set_inlined):
    # tested by tests/search/test_segment_writer.py::test_single_postings_are_inlined
    def start_postings(self, format_: Any, terminfo: Any) -> None:
        super().start_postings(format_, _TermInfo())

    def finish_postings(self) -> Any:
        if self.written() or len(self) >= self._inlinelimit:
            return super().finish_postings()
        terminfo = cast(Any, self)._terminfo  # untyped in Whoosh
        terminfo.add_block(self)
        terminfo.set_inlined(self._ids, self._weights, self._values)
        self._terminfo = None
        return terminfo


class _TermInfo(W3TermInfo):
    """W3's term info, its inlined postings pickled with protocol 4 instead of 2, which spells a bytes value
    out as a call re-encoding latin-1 text (a term's one posting: 39 bytes instead of 75). Read back by
    W3TermInfo.from_bytes, which unpickles any protocol."""

    # Whoosh internals (W3TermInfo._inlined and the layout of to_bytes): tested by
    # tests/search/test_segment_writer.py::test_single_postings_are_inlined
    def to_bytes(self) -> bytes:
        if self._inlined is None:
            return cast(bytes, super().to_bytes())
        minlength = 0 if self._minlength is None else length_to_byte(self._minlength)
        minid = 0xFFFFFFFF if self._minid is None else self._minid
        maxid = 0xFFFFFFFF if self._maxid is None else self._maxid
        fixed: bytes = self._struct.pack(True, self._weight, self._df, minlength, length_to_byte(self._maxlength),
                                         self._maxweight, minid, maxid)
        return fixed + pickle.dumps(self._inlined, 4)


class IndexStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ix: Any = None  # a Whoosh FileIndex, opened on first use
        self._read_ix: Any = None  # the same index for the Views, its files read, not copied (`_searcher`)
        self._view: View | None = None
        self._checked_at = 0.0
        self._open_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self.needs_rebuild = False  # the schema changed: the index was emptied and must be rebuilt

    def ix(self) -> Any:
        if self._ix is None:
            with self._open_lock:
                if self._ix is None:
                    self._ix = self._open()
        return self._ix

    def _searcher(self) -> Any:  # a Whoosh Searcher
        """A searcher whose segment files are read from disk (through the OS's page cache) as a View needs them.
        Whoosh's default maps a compound segment file and then copies each part of it into a BytesIO: the whole
        index in the process's heap (66 MB at 100,000 resources). A View reads its files under its io_lock.
        Whoosh finds the newest generation by listing the folder, then reads its table of contents: a commit landing
        in between removes that file, and the generation that replaced it is opened instead."""
        for _attempt in range(OPEN_ATTEMPTS - 1):
            with suppress(FileNotFoundError):
                return self._open_searcher()
        return self._open_searcher()

    def _open_searcher(self) -> Any:
        if self._read_ix is None:
            ix = self.ix()
            with self._open_lock:
                if self._read_ix is None:
                    self._read_ix = FileStorage(str(self.path), supports_mmap=False).open_index(schema=ix.schema)
        return self._read_ix.searcher()

    def _open(self) -> Any:
        self.path.mkdir(parents=True, exist_ok=True)
        version_file = self.path / VERSION_FILE
        version = version_file.read_text().strip() if version_file.exists() else ""
        if whoosh_index.exists_in(str(self.path)) and version == str(SCHEMA_VERSION):
            return whoosh_index.open_dir(str(self.path))
        if whoosh_index.exists_in(str(self.path)):
            _log.warning("search index schema %s is not %s: emptied, run `qiuxue search rebuild`",
                         version, SCHEMA_VERSION)
            self.needs_rebuild = True
        ix = whoosh_index.create_in(str(self.path), build_schema())
        version_file.write_text(str(SCHEMA_VERSION))
        return ix

    def _open_writer(self, timeout: float, procs: int = 1, limitmb: int = 256) -> Any:
        options: dict[str, Any] = {"timeout": timeout, "delay": 0.05, "limitmb": limitmb, "codec": PlainLengthsCodec()}
        try:
            return (BulkMultiWriter(self.ix(), procs=procs, make=to_document, **options) if procs > 1
                    else BulkSegmentWriter(self.ix(), **options))
        except LockError as err:
            raise IndexBusy(f"search index at {self.path} is locked by another writer") from err

    @contextmanager
    def writer(self, timeout: float = WRITE_TIMEOUT, procs: int = 1, limitmb: int = 256,
               clear: bool = False) -> Iterator[Any]:
        """The index's only writer; commits on success, cancels on error. Raises IndexBusy on timeout."""
        writer = self._open_writer(timeout, procs, limitmb)
        try:
            yield writer
        except BaseException:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR) if clear else writer.commit()
        self._checked_at = 0.0  # our own change: look at once

    @contextmanager
    def holding(self, timeout: float = WRITE_TIMEOUT) -> Iterator[None]:
        """The write lock without writing (a rebuild's switch: no writer commits in between)."""
        writer = self._open_writer(timeout)
        try:
            yield
        finally:
            writer.cancel()

    def apply(self, docs: Iterable[ResourceDoc], delete_ids: Iterable[int | str],
              writer: Any = None) -> tuple[int, int]:
        """Add or replace `docs` and remove `delete_ids` (missing ones are fine): (indexed, deleted)."""
        def run(w: Any) -> tuple[int, int]:
            deleted = sum(w.delete_by_term("id", str(i)) for i in delete_ids)
            indexed = 0
            for doc in docs:
                w.update_document(**to_document(doc))
                indexed += 1
            return indexed, deleted

        if writer is not None:
            return run(writer)
        with self.writer() as w:
            return run(w)

    def rebuild(self, docs: Iterable[ResourceDoc], progress: Callable[[int], None] | None = None,
                procs: int = 1, limitmb: int = 512) -> int:
        """Replace the whole index with `docs` in one commit; searches see the old one until it lands."""
        count = 0
        gc_was_enabled = gc.isenabled()
        gc.disable()  # millions of live posting tuples make every collection slower: about 40% faster
        try:
            with self.writer(procs=procs, limitmb=limitmb, clear=True) as w:
                for doc in docs:
                    if procs > 1:
                        w.add_item(doc)  # its document is made in the writer processes
                    else:
                        w.add_document(**to_document(doc))
                    count += 1
                    if progress and count % 100 == 0:
                        progress(100)
                if progress:
                    progress(count % 100)
        finally:
            if gc_was_enabled:
                gc.enable()
        self.needs_rebuild = False
        return count

    def view(self) -> View:
        """The current generation's View for this process (thread-safe)."""
        now = time.monotonic()
        view = self._view
        if view is not None and now - self._checked_at < REFRESH_SECONDS:
            return view
        self._checked_at = now
        if view is not None and self._latest(view) == view.generation:
            return view
        if view is not None and not self._refresh_lock.acquire(blocking=False):
            return view  # another thread is building the next view: answer from this one meanwhile
        if view is None:
            self._refresh_lock.acquire()
        try:
            current = self._view  # None only on the first call, when `view` is None too
            if current is view or current is None or current.generation != self._latest(current):
                current = self._view = View(self._searcher())
            return current
        finally:
            self._refresh_lock.release()

    def _latest(self, view: View | None) -> int:
        try:
            return cast(int, self.ix().latest_generation())
        except OSError:  # a rebuild switched and removed this folder: answer from `view` until the backend follows
            return view.generation if view is not None else -1

    def refresh(self, warm: Callable[[View, View], None]) -> None:
        """After our own commit: build the new generation's View and `warm(old, new)` it before queries see it;
        meanwhile they keep answering from the old one (the first queries after a commit paid for both)."""
        with self._refresh_lock:
            old = self._view
            if old is None or old.generation == self._latest(old):
                return
            new = View(self._searcher())
            warm(old, new)
            self._view, self._checked_at = new, time.monotonic()

    def stored_ids(self) -> dict[int, str]:
        """Resource id -> fingerprint of every live document (for drift checks)."""
        view = self.view()
        with view.io_lock:
            return {int(fields["id"]): fields.get("fingerprint", "")
                    for fields in view.searcher.reader().all_stored_fields()}
