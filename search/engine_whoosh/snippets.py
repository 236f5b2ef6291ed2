"""Highlighted title and snippet for the results on the shown page only (analysing text costs time).

Output is HTML: the text is escaped by Whoosh's formatter and only <mark> is added, so templates may mark it
safe. Matches found through pinyin or initials highlight the Chinese words they stand for.
"""

from __future__ import annotations

from typing import Any, cast

from markupsafe import Markup, escape
from whoosh.highlight import ContextFragmenter, HtmlFormatter, WholeFragmenter, highlight

from search import analysis
from search.documents import SNIPPET_SOURCE_CHARS  # longer bodies are highlighted from their start only
from search.engine_whoosh.tokenizer import ChineseTokenizer

SNIPPET_CHARS = 120
_analyzer = ChineseTokenizer()


class _Formatter(HtmlFormatter):
    def __init__(self) -> None:
        super().__init__(tagname="mark", between="…", classname="", termclass="")

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        # Whoosh internals (HtmlFormatter._text, its escaping): tested by
        # tests/search/test_whoosh_internals.py::test_the_snippet_formatter_escapes_and_marks_as_whooshs_html_formatter
        return "<mark>" + cast(str, self._text(text[token.startchar:token.endchar])) + "</mark>"


_FORMATTER = _Formatter()


def sound_matches(text: str, spelled: frozenset[str], initials: frozenset[str]) -> set[str]:
    """Words of `text` whose pinyin or initials were matched (diangong -> 电工)."""
    found = set()
    if spelled or initials:
        for piece in analysis.pieces(text):
            if analysis.has_cjk(piece.text) and len(piece.text) >= 2:
                full, firsts = analysis.word_pinyin(piece.text)
                if full in spelled or firsts in initials:
                    found.add(piece.text)
    return found


def title_html(title: str, terms: frozenset[str] | set[str]) -> Markup:
    if not terms:
        return escape(title)
    marked = highlight(title, terms, _analyzer, WholeFragmenter(), _FORMATTER)
    return Markup(marked) if marked else escape(title)  # noqa: S704 - Whoosh escaped the text


def snippet_html(body: str, summary: str, terms: frozenset[str] | set[str]) -> Markup:
    """The best passage of the body around the query words, or the start of the summary."""
    if terms and body:
        fragmenter = ContextFragmenter(maxchars=SNIPPET_CHARS, surround=40)
        marked = highlight(body[:SNIPPET_SOURCE_CHARS], terms, _analyzer, fragmenter, _FORMATTER, top=2)
        if marked:
            return Markup(marked)  # noqa: S704 - Whoosh escaped the text
    text = summary or body
    return escape(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""))
