"""From what a worker typed to a list of concepts, each of which a result must match.

Built from our analyzer's precise-mode tokens, never by Whoosh's query parser (which would turn 电子工程 into
电子 AND 工程 anywhere in a document). The rules:

- Quoted text ("..." or “...”) is an exact phrase.
- A run of Chinese without spaces is one concept; when jieba cuts it into two or three words
  (电子工程 -> 电子|工程) they must stand next to each other: the index holds neighbouring words joined
  ("shingles"), so 电子工程 matches the term 电子工程, never 电子 in one sentence and 工程 in another.
- Latin words are matched as words; a run of Latin letters is also tried as pinyin (diangong, dian gong) and
  as initials (dg), each only when the plainer reading finds nothing in the index.
- A Chinese run that finds nothing is tried by its sound, so homophone typos (母婴户理) still find 母婴护理.
- Synonyms from the admins' table add alternatives (铲车 also finds 叉车), and so do the colloquial names of
  trades built into `search.phrasing` (保姆 also finds 家政服务员), applied where they stand as whole words.
- Phone phrasing is read first (`search.phrasing`): spaced characters joined (叉 车), question words dropped
  (电工证怎么考 -> 电工证), a certificate's trade matched with the certificate as a preference (`prefer`).

Pure apart from `has_term(field, term)`, which asks the index whether a term exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from search import analysis, phrasing, ranking

HasTerm = Callable[[str, str], bool]
QUOTE_RE = re.compile(r'"([^"]*)"?')
QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"', "＂": '"'})
LETTERS_RE = re.compile(r"^[a-z]+$")
MAX_PHRASE_WORDS = 3     # longer runs are ANDed word by word, not required to be adjacent
MAX_QUERY_CHARS = 100
TEXT_FIELDS = tuple(ranking.TEXT_FIELDS)


@dataclass(frozen=True)
class Alternative:
    """One way a concept can match: all `tokens` in `field_kind` ("text", "pinyin" or "initials")."""

    kind: str
    tokens: tuple[str, ...]
    phrase: bool = False       # the words must stand next to each other (stopwords may sit between)
    exact: bool = False        # it was quoted
    weight: float = 1.0
    label: str = ""            # the Chinese it stands for (a synonym's target), for notes
    words: tuple[str, ...] = ()  # the words typed (tokens may be their pairs), for the OR fallback and highlights
    loose: bool = True         # its words may answer the OR fallback one by one


@dataclass(frozen=True)
class Concept:
    text: str
    alternatives: tuple[Alternative, ...]

    @property
    def loose_tokens(self) -> tuple[str, ...]:
        """The words the OR fallback may match one by one."""
        tokens = [t for a in self.alternatives if a.kind == "text" and a.loose for t in (a.words or a.tokens)]
        return tuple(dict.fromkeys(tokens))


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    concepts: tuple[Concept, ...] = ()
    synonyms_used: tuple[tuple[str, str], ...] = ()
    highlight: frozenset[str] = field(default_factory=frozenset)
    prefer: tuple[str, ...] = ()  # words that raise a matching document without being required

    @property
    def empty(self) -> bool:
        return not self.concepts


def normalize_query(text: str) -> str:
    return analysis.normalize((text or "").translate(QUOTES))[:MAX_QUERY_CHARS].strip()


def _segment(text: str, field_name: str, has_term: HasTerm, min_piece: int) -> tuple[str, ...]:
    """Split `text` into the fewest pieces that are all terms of `field_name` (pinyin words, initials)."""
    if len(text) > 30:
        return ()
    best: list[tuple[str, ...] | None] = [None] * (len(text) + 1)
    best[0] = ()
    for end in range(min_piece, len(text) + 1):
        for start in range(max(0, end - 20), end - min_piece + 1):
            head, current = best[start], best[end]
            if head is None or (current is not None and len(current) <= len(head) + 1):
                continue
            if has_term(field_name, text[start:end]):
                best[end] = (*head, text[start:end])
    return best[len(text)] or ()


def phrase_tokens(tokens: Sequence[str]) -> tuple[str, ...]:
    """Neighbouring Chinese words as the word pairs the index holds (电子|工程 -> 电子工程), plus the words
    no pair covers (c|语言 -> c, 语言). All must match: adjacency without reading positions."""
    pairs = analysis.shingles(list(tokens))
    covered = {t for pair in pairs for t in tokens if t in pair}
    return tuple(pairs) + tuple(t for t in tokens if t not in covered)


def _text_alternative(tokens: Sequence[str], exact: bool = False, weight: float = 1.0, label: str = "",
                      loose: bool = True) -> Alternative:
    phrase = exact or 1 < len(tokens) <= MAX_PHRASE_WORDS
    matched = phrase_tokens(tokens) if phrase else tuple(tokens)
    return Alternative("text", matched, phrase=phrase, exact=exact, weight=weight, label=label, words=tuple(tokens),
                       loose=loose)


def _exists(tokens: Sequence[str], has_term: HasTerm) -> bool:
    return all(any(has_term(f, t) for f in TEXT_FIELDS) for t in tokens)


def _latin_concept(words: list[str], has_term: HasTerm) -> Concept:
    text = " ".join(words)
    alternatives = [_text_alternative(words)] if _exists(words, has_term) else []
    joined = "".join(words)
    if not alternatives and LETTERS_RE.match(joined):
        spelled = _segment(joined, "pinyin", has_term, 2)
        if spelled:
            alternatives.append(Alternative("pinyin", spelled, weight=ranking.PINYIN_WEIGHT))
        elif len(joined) <= 8:
            initials = _segment(joined, "initials", has_term, 2)
            if initials:
                alternatives.append(Alternative("initials", initials, weight=ranking.INITIALS_WEIGHT))
    if not alternatives:
        alternatives = [_text_alternative(words)]  # matches nothing; kept for the OR fallback and suggestions
    return Concept(text, tuple(alternatives))


def _also(synonyms: Mapping[str, Sequence[str]], term: str) -> Sequence[str]:
    """What `term` also finds: the admins' synonyms first, then the built-in colloquial names."""
    built_in = phrasing.COLLOQUIAL.get(term, ())
    if not built_in:
        return synonyms.get(term, ())
    return list(dict.fromkeys((*synonyms.get(term, ()), *built_in)))


def _loose(synonyms: Mapping[str, Sequence[str]], term: str, target: str, tokens: Sequence[str]) -> bool:
    """Whether a synonym's words may answer the OR fallback: the admins' always (as before), a built-in
    official name only when it is one word (挖掘铲运和桩工机械司机 one by one would find any 机械 or 司机)."""
    return len(tokens) == 1 or target in synonyms.get(term, ())


def _cjk_concept(chunk: str, synonyms: Mapping[str, Sequence[str]], has_term: HasTerm, typed: str = "") -> Concept:
    """`typed`: the chunk as typed with spaces (叉 车), also matched as its separate words, for a text written
    so (the glued word comes first)."""
    tokens = analysis.words(chunk)
    alternatives = [_text_alternative(tokens)] if tokens else []
    apart = analysis.words(typed) if typed else []
    if apart and apart != tokens:
        alternatives.append(Alternative("text", tuple(apart), weight=ranking.APART_WEIGHT, words=tuple(apart),
                                        loose=False))
    stems = [phrasing.certificate_stem(t) or t for t in tokens]
    if stems != tokens:  # 电工证 -> also 电工: the trade, the certificate being a preference (`prefer`)
        alternatives.append(_text_alternative(stems, weight=ranking.STEM_WEIGHT))
    also = _also(synonyms, chunk)
    for target in also:
        target_tokens = analysis.words(target)
        if target_tokens:
            alternatives.append(_text_alternative(target_tokens, weight=ranking.SYNONYM_WEIGHT, label=target,
                                                  loose=_loose(synonyms, chunk, target, target_tokens)))
    if tokens and not _exists(tokens, has_term) and not also and stems == tokens:
        sound = _segment(analysis.spelled(chunk)[0], "pinyin", has_term, 2)
        if sound:
            alternatives.append(Alternative("pinyin", sound, weight=ranking.SOUND_ALIKE_WEIGHT))
    return Concept(chunk, tuple(alternatives))


@lru_cache(maxsize=20_000)
def _split_on_synonyms(chunk: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """铲车培训 -> [铲车, 培训] when 铲车 is a synonym key, so the synonym applies inside longer input; only where
    the key stands as whole words (电焊工 is not 电焊 + 工)."""
    bounds: set[int] | None = None
    for key in keys:
        index = chunk.find(key)
        if index >= 0 and key != chunk:
            if bounds is None:
                bounds = {0, len(chunk)} | {edge for _w, *edges in analysis.segments(chunk) for edge in edges}
            if index not in bounds or index + len(key) not in bounds:
                continue
            parts = [chunk[:index], key, chunk[index + len(key):]]
            return tuple(p for part in parts if part for p in _split_on_synonyms(part, keys))
    return (chunk,)


COLLOQUIAL_KEYS = frozenset(phrasing.COLLOQUIAL)


@lru_cache(maxsize=64)
def _sorted_keys(keys: frozenset[str]) -> tuple[str, ...]:
    """The admins' keys and the built-in names, longest first."""
    return tuple(sorted(keys | COLLOQUIAL_KEYS, key=len, reverse=True))


def parse(text: str, has_term: HasTerm, synonyms: Mapping[str, Sequence[str]] | None = None) -> ParsedQuery:
    """The concepts of a query. `synonyms` maps a normalized term to what it also means."""
    synonyms = synonyms or {}
    normalized = normalize_query(text)
    concepts: list[Concept] = []
    quoted = [m.group(1) for m in QUOTE_RE.finditer(normalized)]
    for phrase in quoted:
        tokens = analysis.words(phrase)
        if tokens:
            concepts.append(Concept(phrase, (_text_alternative(tokens, exact=True),)))
    rest = QUOTE_RE.sub(" ", normalized)
    keys = _sorted_keys(frozenset(synonyms))
    reading = phrasing.read(rest, bool(concepts))
    spaced = dict(reading.spaced)
    latin_run: list[str] = []
    for chunk in reading.chunks:
        if not analysis.has_cjk(chunk):
            latin_run.extend(analysis.words(chunk))
            continue
        if latin_run:
            concepts.append(_latin_concept(latin_run, has_term))
            latin_run = []
        for part in _split_on_synonyms(chunk, keys):
            concept = _cjk_concept(part, synonyms, has_term, spaced.get(part, ""))
            if concept.alternatives:
                concepts.append(concept)
    if latin_run:
        concepts.append(_latin_concept(latin_run, has_term))
    used = tuple((c.text, a.label) for c in concepts for a in c.alternatives if a.label)
    highlight = frozenset(t for c in concepts for a in c.alternatives if a.kind == "text"
                          for t in (*a.tokens, *a.words))
    prefer = phrasing.CERTIFICATE_TOPICS if reading.certificate and concepts else ()
    return ParsedQuery(normalized, tuple(concepts), used, highlight, prefer)
