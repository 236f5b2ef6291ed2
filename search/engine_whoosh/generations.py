"""Index generations in one folder, so that a rebuild never waits for (or stops) the live indexer.

Each generation is a folder holding a Whoosh index and its suggestion file. `CURRENT` names the live one
(readers and writers of every process look at it: writers each time they take the lock, readers at most every
`store.REFRESH_SECONDS`); a rebuild writes a new generation beside it and switches by replacing `CURRENT` atomically.
While a rebuild runs, `BUILDING` names its generation and every write to the live one appends the ids it
touched to the new generation's journal, so the rebuild can catch up on them before it switches.

Each generation also keeps its `Position` in the shared change log (search/changelog.py) in `POSITION`, written
after each index commit: the index and where it is travel together, so a replica rebuilt or copied from scratch
knows where to go on from.

A folder without `CURRENT` is one generation in the folder itself (the layout before generations).
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

from search.changelog import Position
from search.engine_whoosh.store import IndexStore
from search.suggest import SuggestStore

CURRENT = "CURRENT"
BUILDING = "BUILDING"
JOURNAL = "changed.ids"
PREFIX = "gen-"
POSITION = "position.json"


def read_pointer(folder: Path, name: str) -> str:
    try:
        return (folder / name).read_text().strip()
    except FileNotFoundError:
        return ""


def write_pointer(folder: Path, name: str, value: str) -> None:
    """Replace `folder/name` atomically: a reader sees the old value or the new one, never a partial file."""
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.{os.getpid()}"
    temporary.write_text(value + "\n")
    os.replace(temporary, folder / name)


def new_name() -> str:
    """Sortable by time, unique (two rebuilds in one second by one process get two folders)."""
    return f"{PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(4)}"


class Generation:
    """One index and its suggestion file. `name` "" is the folder itself (the layout before generations)."""

    def __init__(self, folder: Path, name: str):
        self.folder, self.name = folder, name
        self.path = folder / name if name else folder
        self.store = IndexStore(self.path / "index")
        self.suggestions = SuggestStore(self.path / "suggest.sqlite")

    def position(self) -> Position | None:
        """Where this index is in the change log; None when it never followed it (or its schema changed and it
        was emptied): it must be built from the database."""
        self.store.ix()  # opening finds out whether the index had to be emptied
        if self.store.needs_rebuild:
            return None
        try:
            return Position.from_json((self.path / POSITION).read_text())
        except FileNotFoundError:
            return None

    def write_position(self, position: Position) -> None:
        write_pointer(self.path, POSITION, position.to_json())

    def journal(self, ids: list[int]) -> None:
        """Note ids the live generation changed while this one is being built (called under the live lock)."""
        if ids and self.path.is_dir():  # else that rebuild died and its folder was swept
            with open(self.path / JOURNAL, "a", encoding="ascii") as journal:
                journal.write("".join(f"{i}\n" for i in ids))

    def journaled(self) -> list[int]:
        try:
            text = (self.path / JOURNAL).read_text(encoding="ascii")
        except FileNotFoundError:
            return []
        return sorted({int(line) for line in text.split()})

    def remove(self) -> None:
        self.suggestions.close()
        shutil.rmtree(self.store.path, ignore_errors=True)
        for leftover in self.path.glob("suggest.sqlite*"):
            leftover.unlink(missing_ok=True)
        if self.name:
            shutil.rmtree(self.path, ignore_errors=True)


def sweep(folder: Path, keep: set[str]) -> None:
    """Remove generation folders no pointer names (a rebuild that died, a writer that raced a switch)."""
    for path in folder.glob(f"{PREFIX}*"):
        if path.is_dir() and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
