"""pypinyin's phrase dictionary in a compact, read-only form: a MARISA trie of the 47,000 phrases with their
readings (about 1 MB), instead of the dict of lists pypinyin loads from JSON at import (34 MB per process)
and the set of every phrase prefix its segmenter builds from it (7 MB).

`install(cache_dir)` must run before pypinyin is first imported: it puts the trie where pypinyin looks for
its phrases (the module `pypinyin.phrases_dict`) and, once pypinyin's segmenter is loaded, answers its
prefix questions from the trie too. pypinyin reads the phrases only with `in`, `[...]` (then deep-copies the
value), `bool()` and `.keys()`, so its answers are the same. The trie is built once per installation (and
pypinyin version) from pypinyin's own JSON file, in the cache folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import marisa_trie

from search import wordfreq

FORMAT = 1


class Phrases(Mapping[str, list[list[str]]]):
    """phrase -> its readings, one list of pinyin per character (a fresh list each time)."""

    __slots__ = ("trie", "loading")

    def __init__(self, trie: Any) -> None:  # a marisa_trie.BytesTrie
        self.trie, self.loading = trie, False

    def keys(self) -> Any:
        # While pypinyin loads, its segmenter builds a set of every prefix of the keys (7 MB): `install`
        # answers that from the trie instead, so it is given no keys to build it from.
        return () if self.loading else super().keys()

    def __contains__(self, phrase: object) -> bool:
        return phrase in self.trie

    def __getitem__(self, phrase: str) -> list[list[str]]:
        found = self.trie.get(phrase)
        if not found:
            raise KeyError(phrase)
        return json.loads(found[0])  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(self.trie.keys())

    def __len__(self) -> int:
        return len(self.trie)

    def copy(self) -> Phrases:  # read-only: pypinyin copies its dict unless PYPINYIN_NO_DICT_COPY is set
        return self


class _Prefixes:
    """What pypinyin's segmenter asks of its prefix set: is this the start of a phrase?"""

    def __init__(self, trie: Any) -> None:
        self.trie = trie

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and next(self.trie.iterkeys(key), None) is not None


def _source() -> Path:
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        raise ImportError("pypinyin")
    return Path(spec.origin).with_name("phrases_dict.json")


def _load(cache_dir: Path) -> Phrases:
    source = _source()
    stat = source.stat()
    target = cache_dir / f"pinyin-phrases-{FORMAT}-{stat.st_size}-{stat.st_mtime_ns}.marisa"
    trie = marisa_trie.BytesTrie()
    try:
        trie.load(str(target))
    except (OSError, ValueError, RuntimeError):
        phrases = json.loads(source.read_text(encoding="utf-8"))
        trie = marisa_trie.BytesTrie((phrase, json.dumps(readings, ensure_ascii=False).encode())
                                     for phrase, readings in phrases.items())
        del phrases
        wordfreq.write_atomically(target, trie.tobytes())
    return Phrases(trie)


def install(cache_dir: Path) -> None:
    """Give pypinyin the compact phrases (no effect once pypinyin is loaded: it keeps its own)."""
    if "pypinyin" in sys.modules:
        return
    phrases = _load(cache_dir)
    module = types.ModuleType("pypinyin.phrases_dict")
    module.phrases_dict = phrases  # type: ignore[attr-defined]
    sys.modules["pypinyin.phrases_dict"] = module
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")  # nothing adds to pypinyin's dictionaries here
    phrases.loading = True
    try:
        from pypinyin.seg import mmseg  # here: after the phrases are in place (pypinyin's import reads them)
    finally:
        phrases.loading = False
    mmseg.p_set._set = _Prefixes(phrases.trie)  # type: ignore[assignment] # the segmenter's prefix set, answered by the trie
