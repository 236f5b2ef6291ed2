"""Building the index in several processes: Whoosh's multi-process writer with a `BulkSegmentWriter` in each
writer process, each writing a segment of its own, and resources turned into documents in those processes
rather than in the parent (which only feeds them)."""

from __future__ import annotations

import pickle
import queue
from collections.abc import Callable
from typing import Any

# Whoosh internals (SubWriterTask.run, MpWriter's _new_task/_enqueue/_added_sub/_commit): tested by
# tests/search/test_segment_writer.py::test_several_writer_processes_index_the_same
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from search.engine_whoosh.segment_writer import BulkSegmentWriter


class _BulkTask(SubWriterTask):
    """Whoosh's writer process with a BulkSegmentWriter, always writing a segment of its own; it receives
    batches of items and makes their documents itself (`make`, inherited through fork)."""

    make: Callable[[Any], dict[str, Any]]

    def run(self) -> None:
        ix = self.storage.open_index(self.indexname)
        # Whoosh internals (SegmentWriter's _lk and _finalize_segment): tested by
        # tests/search/test_segment_writer.py::test_several_writer_processes_index_the_same
        writer = BulkSegmentWriter(ix, _lk=False, **self.kwargs)
        while (job := self.jobqueue.get()) is not None:
            filename, count = job
            tempstorage = writer.temp_storage()
            with tempstorage.open_file(filename).raw_file() as fh:
                for _ in range(count):
                    item = pickle.load(fh)  # noqa: S301 - our own file, written by the parent process
                    writer.add_document(**(dict(item) if isinstance(item, _Fields) else self.make(item)))
            tempstorage.delete_file(filename)
        segment = writer._finalize_segment()
        self.resultqueue.put((None, writer.pool.fieldnames, segment), timeout=60)


class _Fields(dict):
    """The fields of a document given to BulkMultiWriter.add_document, as opposed to an item for `make`."""


class BulkMultiWriter(MpWriter):
    """`procs` processes with a BulkSegmentWriter each, every one writing its own segment (no merge of the
    parts at the end). `add_item(item)` queues anything `make` turns into the fields of one document, so
    that work happens in the writer processes too."""

    def __init__(self, ix, procs: int, make: Callable[[Any], dict[str, Any]], batchsize: int = 200, **kwargs):
        super().__init__(ix, procs=procs, batchsize=batchsize, multisegment=True, **kwargs)
        self.make = make

    def add_item(self, item: Any) -> None:
        self.docbuffer.append(item)
        if len(self.docbuffer) >= self.batchsize:
            # Whoosh internals (MpWriter._enqueue/_added_sub): tested by
            # tests/search/test_segment_writer.py::test_several_writer_processes_index_the_same
            self._enqueue()
        self._added_sub = True

    def add_document(self, **fields: Any) -> None:
        self.add_item(_Fields(fields))

    def _enqueue(self) -> None:
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as fh:
            for item in self.docbuffer:
                pickle.dump(item, fh, pickle.HIGHEST_PROTOCOL)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer = []

    def _put(self, job) -> None:
        """Queue a job for the writer processes; a process that died fails the build instead of hanging it."""
        while True:
            try:
                self.jobqueue.put(job, timeout=1)
                return
            except queue.Full:
                self._check_tasks()

    def _check_tasks(self) -> None:
        if any(task.exitcode for task in self.tasks):
            raise RuntimeError("a search index writer process failed")

    def _new_task(self) -> _BulkTask:
        task = _BulkTask(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True)
        task.make = self.make
        self.tasks.append(task)
        task.start()
        return task

    # Whoosh internals (MpWriter._commit, _merge_segments, _finalize_segment, _close_segment, _commit_toc,
    # _finish): tested by tests/search/test_segment_writer.py::test_several_writer_processes_index_the_same
    def _commit(self, mergetype, optimize, merge) -> None:
        """As Whoosh's, but a process that died fails the commit (Whoosh would commit without its part)."""
        try:
            if self.docbuffer:
                self._enqueue()
            for _task in self.tasks:
                self._put(None)
            segments = self._merge_segments(mergetype, optimize, merge)
            results = []
            while len(results) < len(self.tasks):
                try:
                    results.append(self.resultqueue.get(timeout=1))
                except queue.Empty:
                    self._check_tasks()
            for task in self.tasks:
                task.join()
        except BaseException:
            self.cancel()
            raise
        segments += [segment for _run, _names, segment in results]
        if self._added:
            segments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(segments)
        self._finish()

    def cancel(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
            task.join()
        self.tasks = []
        SegmentWriter.cancel(self)
