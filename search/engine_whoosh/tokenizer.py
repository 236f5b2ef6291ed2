"""The Whoosh tokenizer over `search.analysis.pieces`, with the counting fast path the segment writer and
`schema.ChineseFrequency` use. Engine-only: the analysis itself (jieba, pinyin) stays in `search.analysis`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Token, Tokenizer

from search.analysis import CLAUSE_END_RE, RUN_RE, normalize, pieces, run_counts


class ChineseTokenizer(Tokenizer):
    """Whoosh tokenizer over `pieces`. Holds no jieba state itself, so the schema pickles cleanly."""

    def __init__(self, search_mode: bool = True):
        self.search_mode = search_mode

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChineseTokenizer) and other.search_mode == self.search_mode

    def __hash__(self) -> int:
        return hash((ChineseTokenizer, self.search_mode))

    def counts(self, value: str) -> dict[str, int]:
        """term -> occurrences, for `schema.ChineseFrequency` (the indexing fast path). Summed over
        runs, each run's terms cached: pairs never span two runs, and sentences, lesson titles, teachers
        and tags repeat across thousands of documents."""
        return self._normalized_counts(normalize(value))

    def _normalized_counts(self, text: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for match in RUN_RE.finditer(text):
            if match.lastgroup == "latin":
                term = match.group()
                found[term] = found.get(term, 0) + 1
                continue
            for term, count in run_counts(match.group(), self.search_mode):
                found[term] = found.get(term, 0) + count
        return found

    @staticmethod
    def clauses(value: str) -> list[str]:
        """`value` normalised and split where no token can be (lines, sentences, commas): the sum of
        `clause_counts` over them is `counts` (segment_writer indexes clause by clause, each distinct
        clause analysed once; they repeat across documents far more than whole texts do)."""
        return CLAUSE_END_RE.split(normalize(value))

    def clause_counts(self, clause: str) -> tuple[tuple[bytes, int], ...]:
        """(UTF-8 term, occurrences) of one clause from `clauses`."""
        return tuple((term.encode("utf-8"), count) for term, count in self._normalized_counts(clause).items())

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost, token.stopped = 1.0, False
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar, token.endchar = start_char, start_char + len(value)
            yield token
            return
        for piece in pieces(value, self.search_mode):
            token.text = piece.text
            token.boost, token.stopped = 1.0, False
            if keeporiginal:
                token.original = piece.text
            if positions:
                token.pos = start_pos + piece.pos
            if chars:
                token.startchar, token.endchar = start_char + piece.start, start_char + piece.end
            yield token


def analyzer() -> ChineseTokenizer:
    return ChineseTokenizer()
