"""Writing without HTML: rich text is written in Markdown and rendered here, always through the one sanitiser
(app/sanitize.py:clean_html), so a saved description and its live preview are the same HTML.

The dialect is CommonMark (markdown-it-py's "commonmark" preset) with tables and ~~strikethrough~~, and one
change people typing in a phone's text box expect: a single line break is kept as a line break. HTML inside the
Markdown is allowed (CommonMark permits it) and then cleaned by the sanitiser's allowlist like any rich text, so
`<script>`, event handlers and `javascript:`/`data:` URLs never survive, whichever way they are written.

Rich text written before Markdown was stored as cleaned HTML. `legacy_source` turns such HTML into a Markdown
source that renders to exactly the same HTML (a raw HTML block), so nothing changes on any page and the next edit
starts from what was there.
"""

from __future__ import annotations

import re
import threading

from markdown_it import MarkdownIt

from app.sanitize import clean_html
from app.text import clean_text

__all__ = ["MAX_SOURCE", "legacy_source", "markdown_source", "render_markdown", "source_of"]

MAX_SOURCE = 200_000  # characters of Markdown a preview accepts; each form keeps its own, smaller limit
_BLANK_LINE = re.compile(r"\n([ \t]*)(?=\n)")
_local = threading.local()  # a parser per thread: markdown-it keeps its rules on the instance


def _parser() -> MarkdownIt:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable(["table", "strikethrough"])
        _local.parser = parser
    return parser


def markdown_source(value: object) -> str:
    """A Markdown source as typed (a form's text box sends CRLF line breaks): kept with LF, no control
    characters, surrounding blank space trimmed."""
    text = "" if value is None else str(value)
    return clean_text(text.replace("\r\n", "\n").replace("\r", "\n"))


def render_markdown(source: str | None) -> str:
    """Safe HTML for a Markdown source: rendered, then cleaned by app.sanitize.clean_html."""
    if not source or not source.strip():
        return ""
    return clean_html(_parser().render(source))


def legacy_source(html: str | None) -> str:
    """A Markdown source rendering to exactly `html` (HTML already cleaned by clean_html, as every stored rich
    text is). The HTML as it is when Markdown leaves it alone (the common case: block elements such as
    <p>, <h3>, <ul> on one line); otherwise one raw HTML block: wrapped in a <div> (not on the allowlist, so
    the sanitiser drops the tag and keeps its content) with its blank lines, which would end the block, holding
    an empty comment (which the sanitiser drops too). tests/app/test_richtext.py checks this for any HTML."""
    if not html or not html.strip():
        return ""
    block = _html_block(html)
    # A parser drops a line break right after <pre> (mostly: not where a table moves things around), which the
    # cleaner kept when it had two: then two it gets again. The first candidate rendering exactly `html` is it.
    for candidate in (html, block, _html_block(html.replace("<pre>\n", "<pre>\n\n"))):
        if render_markdown(candidate) == html:
            return candidate
    return block  # not seen in any test; the same document, as a browser builds it


def source_of(markdown: str | None, html: str | None) -> str:
    """What the editor shows: the Markdown source kept with the rich text, or, for HTML stored without one
    (written before Markdown), a source rendering to exactly that HTML."""
    return markdown or legacy_source(html)


def _html_block(html: str) -> str:
    return "<div>\n" + _BLANK_LINE.sub(lambda m: "\n" + m.group(1) + "<!---->", html) + "\n</div>"
