"""Stored files that follow the database transaction of the rows pointing at them.

A file is written before the row that points at it is committed, and a replaced file is still pointed at until
the change commits. So a file written for a transaction is removed if that transaction ends without committing
(a refused request, a lock timeout, a lost connection), and a file dropped in it is removed only once it commits.
Before, a failed commit left a file that no row pointed at, or a row pointing at a deleted file.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.storage import Storage

log = logging.getLogger(__name__)
KEY = "qiuxue.pending_files"


def written(session: Session, files: Storage, key: str) -> None:
    """`key` was just stored for rows of this session's transaction: remove it unless that transaction commits."""
    _pending(session)[0].append((files, key))


def drop_on_commit(session: Session, files: Storage, key: str) -> None:
    """Remove `key` once this session's transaction commits; until then its rows still point at it."""
    _pending(session)[1].append((files, key))


def _pending(session: Session) -> tuple[list[tuple[Storage, str]], list[tuple[Storage, str]]]:
    """(written, to drop on commit), kept in the session's info until its transaction ends."""
    pending: tuple[list[tuple[Storage, str]], list[tuple[Storage, str]]] = session.info.setdefault(KEY, ([], []))
    return pending


def _delete(items: list[tuple[Storage, str]]) -> None:
    for files, key in items:
        try:
            files.delete(key)
        except OSError:  # a stray file, not lost data: say so and go on
            log.warning("could not delete stored file %s", key, exc_info=True)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(KEY, None)  # every commit passes here (heartbeat groups too): nothing to build
    if pending:
        _delete(pending[1])


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and KEY in session.info:  # the outermost transaction, ended without a commit
        _delete(session.info.pop(KEY)[0])
