"""Chinese text analysis for search: jieba segmentation, Latin words and numbers, pinyin and initials.

One jieba dictionary per process, loaded on first use: its word counts as a compact trie (`wordfreq`: about
3 MB and 0.05 s instead of jieba's 60–85 MB dict and 0.5 s), built once per installation (a few seconds, from
jieba's own cache file) in a stable folder (`configure(cache_dir)`, called by the app with DATA_DIR/cache).

Indexing emits jieba's precise-mode words plus the dictionary words inside them (search mode: 维修电工 also
gives 维修 and 电工), each sub-word at the position of its word so phrases still line up. Latin words and
numbers are split out before jieba so that C语言, Python, PLC and CAD tokenise the same way in documents and
queries (C语言 -> "c", "语言"). Everything is lower case and full-width letters become half-width.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from search import pinyinwords, wordfreq

DICTIONARY = Path(__file__).with_name("dictionary.txt")  # our vocational words jieba lacks (月嫂, 钢筋工 ...)
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Latin words keep inner dots and trailing + or # (c++, c#, node.js, 2.5); CJK runs go to jieba.
RUN_RE = re.compile(rf"(?P<latin>[a-z0-9]+(?:\.[a-z0-9]+)*[+#]*)|(?P<cjk>[{CJK}]+)")
CJK_RE = re.compile(f"[{CJK}]")
CJK_RUN_RE = re.compile(f"[{CJK}]+")
LATIN_WORD_RE = re.compile(r"[a-z]+")
# Characters in no token (after `normalize`: ，！？； are half-width then), so text split at them gives the
# same tokens piece by piece.
CLAUSE_END_RE = re.compile("[\n\u3002,!?;]")  # new line 。 , ! ? ;
# Particles that carry no meaning on their own; kept few on purpose (a worker's query is two or three words).
# Function words only: no subject word, however common, is dropped (课程 and 培训 stay searchable).
_STOPWORDS_TEXT = """
的 了 和 与 及 或 等 之 是 在 其 并 而 也 就 都 着 吧 呢 吗 啊 个 把 被 从 向 到 对 给 让 使 将 已 又 还 能 会 要
该 此 各 每 这 那 你 我 他 她 它 您 们 我们 你们 他们 大家 自己 一个 一些 这些 那些 这个 那个 这样 那样 本 以
以及 通过 进行 可以 可能 如何 什么 怎么 为了 由于 因此 所以 但是 如果 还有 已经 其中 之后 以后 之前 对于 关于 比如
例如 以上 以下 然后 而且 并且 或者 不仅 同时 非常 很 更 最 就是 只是 只要 也是 都是 即可 有 没有 不 没
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
# Full-width ASCII and the ideographic space to half-width, one character for one (offsets stay valid).
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

MAX_SHINGLE = 8  # characters in a joined pair of words; longer pairs are rare in queries

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_state: dict[str, Any] = {"cache_dir": None, "tokenizer": None, "load_seconds": None}


def default_cache_dir() -> Path:
    return Path(os.environ.get("QIUXUE_SEARCH_CACHE_DIR") or Path.home() / ".cache" / "qiuxue")


def configure(cache_dir: str | os.PathLike[str] | None) -> None:
    """Where jieba keeps its dictionary cache; only effective before the dictionary is first loaded."""
    with _lock:
        if _state["tokenizer"] is None and cache_dir:
            _state["cache_dir"] = Path(cache_dir)


def jieba_tokenizer() -> Any:  # a jieba.Tokenizer (jieba is untyped)
    """The process's jieba tokenizer, loaded once (thread-safe)."""
    tokenizer = _state["tokenizer"]
    if tokenizer is not None:
        return tokenizer
    with _lock:
        if _state["tokenizer"] is None:
            _state["tokenizer"] = _load()
        return _state["tokenizer"]


def _load() -> Any:
    import jieba  # here, not at import: jieba's import and dictionary cost ~0.5 s, paid once, on first use

    logging.getLogger("jieba").setLevel(logging.WARNING)  # it prints "Loading model..." at DEBUG otherwise
    started = time.perf_counter()
    cache_dir = _state["cache_dir"] or default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = jieba.Tokenizer()
    key = wordfreq.fingerprint(Path(jieba.__file__).with_name("dict.txt"), DICTIONARY, extra=jieba.__version__)
    freq = wordfreq.load(cache_dir, key)
    if freq is None:  # once per installation (and dictionary): jieba's own load, then our words, kept as a trie
        tokenizer.tmp_dir = str(cache_dir)  # jieba writes its cache atomically (temp file + rename)
        tokenizer.cache_file = "jieba.cache"
        tokenizer.initialize()
        for word, count in _our_words():
            tokenizer.add_word(word, count)
        freq = wordfreq.build(tokenizer.FREQ, tokenizer.total, cache_dir, key)
    else:
        from jieba import finalseg  # here, as jieba: loaded with it

        for word, count in _our_words():
            if count == 0:  # what add_word does besides counting: such a word is always split
                finalseg.add_force_split(word)
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = freq, freq.total, True
    _state["load_seconds"] = time.perf_counter() - started
    _log.info("jieba dictionary loaded in %.2f s (cache %s)", _state["load_seconds"], cache_dir)
    return tokenizer


def _our_words() -> Iterator[tuple[str, int | None]]:
    for line in DICTIONARY.read_text(encoding="utf-8").splitlines():
        word, _sep, freq = line.partition(" ")
        if word and not word.startswith("#"):
            yield word, int(freq) if freq.strip() else None


def load_seconds() -> float | None:
    """How long this process took to load the dictionary (None until loaded)."""
    seconds: float | None = _state["load_seconds"]
    return seconds


def normalize(text: str) -> str:
    """Lower case, full-width to half-width; the same length as `text` so offsets keep pointing at it."""
    folded = text.translate(_HALF_WIDTH).lower()
    return folded if len(folded) == len(text) else text.translate(_HALF_WIDTH)


class Piece(NamedTuple):
    text: str
    pos: int     # phrase position; a sub-word shares its word's position
    start: int   # character offsets into the original text, for highlighting
    end: int


class Word(NamedTuple):
    text: str
    start: int
    end: int
    parts: tuple[tuple[str, int, int], ...]  # dictionary words inside it (search mode), offsets relative


@lru_cache(maxsize=200_000)
def _cut(run: str) -> tuple[Word, ...]:
    """jieba's precise cut of one CJK run with the sub-words search mode adds. Cached: titles of lessons,
    providers, teachers and tags repeat across thousands of documents."""
    tokenizer = jieba_tokenizer()
    freq = tokenizer.FREQ
    words, offset = [], 0
    for text in tokenizer.cut(run, HMM=True):
        parts: list[tuple[str, int, int]] = []
        if len(text) > 2:  # as jieba.cut_for_search, the dictionary words inside, but only where a word
            # boundary can be: halves of 4-character words (电动|工具, never 动工), ends of longer ones
            size = len(text)
            starts2 = range(0, size - 1, 2) if size % 2 == 0 else range(size - 1)
            starts3 = {0, size - 3} if size > 3 else set()
            for size_, starts in ((2, starts2), (3, sorted(starts3))):
                parts.extend((text[i:i + size_], i, i + size_) for i in starts if freq.get(text[i:i + size_]))
        words.append(Word(text, offset, offset + len(text), tuple(parts)))
        offset += len(text)
    return tuple(words)


def pieces(text: str, search_mode: bool = True) -> Iterator[Piece]:
    """The tokens of `text`. With search_mode also the sub-words inside long words and the joined pairs of
    neighbouring Chinese words ("shingles": 叉车 司机 -> 叉车司机), which answer two-word phrases with one
    posting list instead of positions. Stopwords are dropped; a pair may span one."""
    pos = 0
    for match in RUN_RE.finditer(normalize(text)):
        if match.lastgroup == "latin":
            yield Piece(match.group(), pos, match.start(), match.end())
            pos += 1
            continue
        base, previous = match.start(), None
        for word in _cut(match.group()):
            if word.text in STOPWORDS:
                pos += 1
                continue
            if search_mode:
                for part, start, end in word.parts:
                    yield Piece(part, pos, base + word.start + start, base + word.start + end)
                if previous is not None:
                    for start, left in _ends(previous):
                        for end, right in _starts(word):
                            if len(left) + len(right) <= MAX_SHINGLE:
                                yield Piece(left + right, pos, base + start, base + end)
            yield Piece(word.text, pos, base + word.start, base + word.end)
            previous = word
            pos += 1


@lru_cache(maxsize=300_000)
def run_counts(run: str, search_mode: bool) -> tuple[tuple[str, int], ...]:
    """(term, occurrences) of one CJK run, as `pieces` emits them."""
    found: dict[str, int] = {}
    for piece in pieces(run, search_mode):
        found[piece.text] = found.get(piece.text, 0) + 1
    return tuple(found.items())


def _ends(word: Word) -> list[tuple[int, str]]:
    """The word and its dictionary sub-words that end where it ends (维修电工 -> 维修电工, 电工)."""
    return [(word.start, word.text)] + [(word.start + a, t) for t, a, b in word.parts if word.start + b == word.end]


def _starts(word: Word) -> list[tuple[int, str]]:
    return [(word.end, word.text)] + [(word.start + b, t) for t, a, b in word.parts if a == 0]


def shingles(tokens: list[str]) -> list[str]:
    """The pairs `pieces` indexes for neighbouring words: a phrase of n words is n-1 shingles."""
    return [a + b for a, b in zip(tokens, tokens[1:], strict=False)
            if has_cjk(a) and has_cjk(b) and len(a) + len(b) <= MAX_SHINGLE]


def segments(text: str) -> list[tuple[str, int, int]]:
    """Every precise-mode word of normalised `text` with its offsets, stopwords included (the query's reading of
    question phrasing needs 怎么 and 吗 to see a question, and word boundaries to split at)."""
    found = []
    for match in RUN_RE.finditer(text):
        if match.lastgroup == "latin":
            found.append((match.group(), match.start(), match.end()))
            continue
        base = match.start()
        found.extend((word.text, base + word.start, base + word.end) for word in _cut(match.group()))
    return found


def is_dictionary_word(text: str) -> bool:
    """jieba (with our dictionary) reads `text` as one known word."""
    cut = _cut(text) if CJK_RUN_RE.fullmatch(text) else ()
    return len(cut) == 1 and bool(jieba_tokenizer().FREQ.get(text))


def words(text: str) -> list[str]:
    """Precise-mode tokens (what a query is made of)."""
    return [piece.text for piece in pieces(text, search_mode=False)]


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


@lru_cache(maxsize=100_000)
def word_pinyin(word: str) -> tuple[str, str]:
    """(full pinyin, initials) of a CJK word, without tones or separators: 电工 -> ("diangong", "dg")."""
    syllables = [s.lower() for s in _lazy_pinyin()(word, errors="ignore")]
    return "".join(syllables), "".join(s[0] for s in syllables if s)


def _lazy_pinyin() -> Any:
    """pypinyin's lazy_pinyin, with its phrases as a compact trie (`pinyinwords`), loaded on first use."""
    if "lazy_pinyin" not in _state:
        with _lock:
            if "lazy_pinyin" not in _state:
                pinyinwords.install(_state["cache_dir"] or default_cache_dir())
                from pypinyin import lazy_pinyin  # here, not at import: its tables load on first use (and after
                # `install`)
                _state["lazy_pinyin"] = lazy_pinyin
    return _state["lazy_pinyin"]


@lru_cache(maxsize=100_000)
def pinyin_terms(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Word-level pinyin and initials of the multi-character CJK words of `text` (titles, tags).

    Whole words only: 用电工具 gives yongdian/gongju, never "diangong", so pinyin search keeps word boundaries."""
    full, initials = [], []
    for piece in pieces(text, search_mode=True):
        if len(piece.text) >= 2 and has_cjk(piece.text) and not LATIN_WORD_RE.search(piece.text):
            spelled, firsts = word_pinyin(piece.text)
            if len(firsts) >= 2:
                full.append(spelled)
                initials.append(firsts)
    return tuple(full), tuple(initials)


def spelled(text: str) -> tuple[str, str]:
    """A whole title as typed on a pinyin keyboard: (full pinyin, initials), Latin words kept as they are.
    电工基础 -> ("diangongjichu", "dgjc"); PLC编程 -> ("plcbiancheng", "plcbc")."""
    full, initials = [], []
    for match in RUN_RE.finditer(normalize(text)):
        if match.lastgroup == "latin":
            full.append(match.group())
            initials.append(match.group())
        else:
            for word in _cut(match.group()):
                spelled_word, firsts = word_pinyin(word.text)
                full.append(spelled_word)
                initials.append(firsts)
    return "".join(full), "".join(initials)
