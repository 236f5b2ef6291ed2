"""Autocomplete and "did you mean": a small SQLite file beside the index, shared by every process.

`entries` holds a few keys per published title: the title itself and from each later word on (so 基础 finds
电工基础), its full pinyin and its initials; a prefix query is an index range scan. A very common prefix
(one letter) is answered by walking titles by weight instead, so both cases stay a few milliseconds. An entry's
rowid is its resource id times `KEYS_PER_TITLE` plus its number, so a resource's entries are one rowid range
(no index on the resource id) and its title is kept once, in `titles`.

`words` holds the vocabulary of titles and tags: Latin words, and pinyin spellings with the Chinese they
stand for. `variants` maps every word with one letter deleted to the word (symmetric-delete spelling), so a
misspelt query word finds words within two edits with a handful of index look-ups.

Written only inside the search index's write lock (see backend.WhooshBackend), so it never runs ahead of or
behind the index for long; rebuilt with it.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from search import analysis
from search.backend import MAX_SUGGESTIONS, Suggestion, suggestion_limit
from search.documents import ResourceDoc

BROAD = 2000          # a prefix matching more keys than this is answered by weight order
MIN_SPELL_LENGTH = 3
KEYS_PER_TITLE = 8    # at most (`keys_for` makes up to six)
VERSION = 2           # PRAGMA user_version; a file of another version is emptied (its index is rebuilt too)
ENTRY_INDEXES = {"ix_entries_key": "key", "ix_entries_weight": "weight"}
ENTRY_INDEX_DDL = [f"CREATE INDEX IF NOT EXISTS {name} ON entries ({column})" for name, column in ENTRY_INDEXES.items()]
TABLES = ("entries", "titles", "words", "variants")
SCHEMA = [
    "CREATE TABLE IF NOT EXISTS entries (key TEXT NOT NULL, weight REAL NOT NULL)",  # rowid: see the module doc
    *ENTRY_INDEX_DDL,
    "CREATE TABLE IF NOT EXISTS titles (rid INTEGER PRIMARY KEY, title TEXT NOT NULL)",
    # WITHOUT ROWID: the primary key is the table (a rowid table kept each row twice: in itself and in the
    # key's index). A file made before has rowid tables, which the same statements read and write.
    "CREATE TABLE IF NOT EXISTS words (word TEXT NOT NULL, chinese TEXT NOT NULL, freq INTEGER NOT NULL, "
    "PRIMARY KEY (word, chinese)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS variants (variant TEXT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (variant, word)) "
    "WITHOUT ROWID",
]


def entry_rows(doc: ResourceDoc) -> list[tuple[int, str, float]]:
    """(rowid, key, weight) of `doc`'s entries."""
    weight = math.log1p(max(0, doc.enrolled))
    first = doc.id * KEYS_PER_TITLE
    return [(first + n, key, weight + bonus) for n, (key, bonus) in enumerate(keys_for(doc.title))]


def _rowids(rid: int) -> tuple[int, int]:
    return rid * KEYS_PER_TITLE, rid * KEYS_PER_TITLE + KEYS_PER_TITLE - 1


def deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment): a swap of two letters is one edit."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


@lru_cache(maxsize=50_000)
def keys_for(title: str) -> tuple[tuple[str, float], ...]:
    """(key, bonus): the whole title ranks above a match from a later word."""
    normalized = analysis.normalize(title).replace(" ", "")
    spelled, initials = analysis.spelled(title)
    keys = [(normalized, 1.0), (spelled, 1.0), (initials, 0.5)]
    starts = sorted({p.start for p in analysis.pieces(title, search_mode=False) if p.start > 0})[:3]
    keys += [(analysis.normalize(title)[s:].replace(" ", ""), 0.0) for s in starts]
    first: dict[str, float] = {}  # each key once, with its first bonus, in order
    for key, bonus in keys:
        if key:
            first.setdefault(key, bonus)
    return tuple(first.items())


def vocabulary(doc: ResourceDoc) -> list[tuple[str, str]]:
    """(word, chinese) pairs: Latin words as themselves, Chinese words by their pinyin."""
    return [pair for text in (doc.title, *doc.tags) for pair in _text_vocabulary(text)]


@lru_cache(maxsize=100_000)
def _text_vocabulary(text: str) -> tuple[tuple[str, str], ...]:
    """`vocabulary` of one title or tag; cached, as titles and tags repeat across documents."""
    found = []
    for piece in analysis.pieces(text, search_mode=True):  # word pairs too: 叉车司机 answers chachesiji
        if analysis.has_cjk(piece.text):
            if len(piece.text) >= 2:
                found.append((analysis.word_pinyin(piece.text)[0], piece.text))
        elif len(piece.text) >= MIN_SPELL_LENGTH and piece.text.isalpha():
            found.append((piece.text, ""))
    return tuple(found)


class SuggestStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                self._create(db)
            self._local.db = db
        return db

    @staticmethod
    def _create(db: sqlite3.Connection) -> None:
        """The tables of this VERSION; a file of an older one is emptied first (once, by one process)."""
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                for table in TABLES:
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                for ddl in SCHEMA:
                    db.execute(ddl)
                db.execute(f"PRAGMA user_version = {VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def apply(self, docs: Iterable[ResourceDoc], delete_ids: Iterable[int]) -> None:
        db = self._db()
        with db:  # one transaction
            for rid in delete_ids:
                db.execute("DELETE FROM entries WHERE rowid BETWEEN ? AND ?", _rowids(int(rid)))
                db.execute("DELETE FROM titles WHERE rid = ?", (int(rid),))
            for doc in docs:
                self.add(db, doc)

    @staticmethod
    def add(db: sqlite3.Connection, doc: ResourceDoc) -> None:
        """Write `doc`'s keys and words inside the caller's transaction."""
        db.execute("DELETE FROM entries WHERE rowid BETWEEN ? AND ?", _rowids(doc.id))
        db.execute("INSERT OR REPLACE INTO titles (rid, title) VALUES (?, ?)", (doc.id, doc.title))
        db.executemany("INSERT INTO entries (rowid, key, weight) VALUES (?, ?, ?)", entry_rows(doc))
        words = vocabulary(doc)
        db.executemany("INSERT INTO words (word, chinese, freq) VALUES (?, ?, 1) "
                       "ON CONFLICT (word, chinese) DO UPDATE SET freq = freq + 1", words)
        db.executemany("INSERT OR IGNORE INTO variants (variant, word) VALUES (?, ?)",
                       [(v, w) for w, _c in words for v in deletes(w) | {w}])

    def bulk(self, db: sqlite3.Connection) -> BulkLoad:
        return BulkLoad(db)

    def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        limit = suggestion_limit(limit, 2 * MAX_SUGGESTIONS)  # room for the few the backend asks beyond what it shows
        key = analysis.normalize(prefix or "").replace(" ", "")[:40]
        if not key:
            return []
        db = self._db()
        upper = key + "\U0010ffff"
        broad = db.execute("SELECT count(*) FROM (SELECT 1 FROM entries WHERE key >= ? AND key < ? LIMIT ?)",
                           (key, upper, BROAD)).fetchone()[0] >= BROAD
        index = "ix_entries_weight" if broad else "ix_entries_key"
        rows = db.execute(f"SELECT rowid FROM entries INDEXED BY {index} "  # noqa: S608 - fixed names
                          "WHERE key >= ? AND key < ? ORDER BY weight DESC LIMIT ?", (key, upper, limit * 4))
        rids = list(dict.fromkeys(rowid // KEYS_PER_TITLE for (rowid,) in rows))[:limit]
        marks = ",".join("?" * len(rids))
        titles = dict(db.execute(f"SELECT rid, title FROM titles WHERE rid IN ({marks})", rids))  # noqa: S608
        return [Suggestion(rid, titles[rid]) for rid in rids if rid in titles]

    def correct(self, word: str) -> str | None:
        """The closest known Latin or pinyin word within two edits, most frequent first; None if none."""
        word = analysis.normalize(word)
        if len(word) < MIN_SPELL_LENGTH or len(word) > 30:
            return None
        probes = list(deletes(word) | {word})
        marks = ",".join("?" * len(probes))
        rows = self._db().execute(
            f"SELECT w.word, sum(w.freq) FROM variants v JOIN words w ON w.word = v.word "  # noqa: S608
            f"WHERE v.variant IN ({marks}) GROUP BY w.word", probes).fetchall()
        scored = [(edit_distance(word, candidate), -freq, candidate) for candidate, freq in rows]
        scored = [s for s in scored if 0 < s[0] <= 2]
        return min(scored)[2] if scored else None

    def chinese_for(self, spelled: str) -> str | None:
        row = self._db().execute("SELECT chinese FROM words WHERE word = ? AND chinese != '' "
                                 "ORDER BY freq DESC LIMIT 1", (spelled,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        count: int = self._db().execute("SELECT count(*) FROM titles").fetchone()[0]
        return count

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class BulkLoad:
    """A rebuild's rows collected in memory and written in large batches: entries every few thousand
    documents, each word once with its count and its deletion variants once, instead of one upsert per
    word per document (which was a seventh of the build time). Runs inside the caller's transaction, on
    emptied tables; the entries' indexes are dropped meanwhile and built once at the end (sorting once is
    cheaper than keeping three B-trees up to date row by row). Other processes read the old snapshot."""

    def __init__(self, db: sqlite3.Connection, batch: int = 5000):
        self.db, self.batch = db, batch
        for name in ENTRY_INDEXES:
            db.execute(f"DROP INDEX IF EXISTS {name}")
        self.entries: list[tuple[int, str, float]] = []
        self.titles: list[tuple[int, str]] = []
        self.words: Counter[tuple[str, str]] = Counter()

    def add(self, doc: ResourceDoc) -> None:
        self.entries.extend(entry_rows(doc))
        self.titles.append((doc.id, doc.title))
        self.words.update(vocabulary(doc))
        if len(self.entries) >= self.batch:
            self._flush_entries()

    def _flush_entries(self) -> None:
        self.db.executemany("INSERT INTO entries (rowid, key, weight) VALUES (?, ?, ?)", self.entries)
        self.db.executemany("INSERT INTO titles (rid, title) VALUES (?, ?)", self.titles)
        self.entries, self.titles = [], []

    def finish(self) -> None:
        self._flush_entries()
        for ddl in ENTRY_INDEX_DDL:
            self.db.execute(ddl)
        self.db.executemany("INSERT INTO words (word, chinese, freq) VALUES (?, ?, ?)",
                            [(word, chinese, n) for (word, chinese), n in self.words.items()])
        distinct = {word for word, _chinese in self.words}
        self.db.executemany("INSERT OR IGNORE INTO variants (variant, word) VALUES (?, ?)",
                            [(v, w) for w in distinct for v in deletes(w) | {w}])
