"""The one sanitiser: rich text cleaning for resource descriptions, reading lessons and notices, applied on
every write, so what is stored is always safe to render as HTML; and `strip_markup` for plain-text fields
(reasons, evidence notes) that people may paste HTML into.

The allowlist (anything else is removed, keeping its text):

| element | attributes kept |
| --- | --- |
| h1-h6, p, br, hr, blockquote, pre, code | none |
| ul, ol, li | ol: start |
| b, strong, i, em, u, s, sub, sup | none |
| a | href (http, https, mailto, tel or relative), title; rel="nofollow noopener" is always set |
| img | src (http, https or relative only), alt, title, width, height (digits only) |
| table, thead, tbody, tr, th, td | th/td: colspan, rowspan (digits only) |

Removed together with everything inside them: script, style, iframe, frame(set), object, embed, applet,
template, noscript, svg, math, textarea, select, title, xmp, noembed, noframes, head, meta, link, base, form.
Never kept: event handlers (on...), style attributes, javascript:/data:/vbscript: URLs, comments.

bleach alone would keep the text of a removed <script> (strip=True turns tags into nothing but leaves
their content), so the document is parsed with every tag kept, the elements above are cut out of the
tree, and only then does bleach's sanitizer walk it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import bleach
from bleach import html5lib_shim

from app.text import clean_text

# clean_text lives in app/text.py: one cleaner for all
__all__ = ["clean_html", "clean_text", "html_to_text", "strip_markup"]

ALLOWED_TAGS = frozenset({
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code",
    "ul", "ol", "li", "b", "strong", "i", "em", "u", "s", "sub", "sup", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
})
LINK_PROTOCOLS = frozenset({"http", "https", "mailto", "tel"})
IMAGE_SCHEMES = frozenset({"http", "https", ""})
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "template", "noscript",
    "svg", "math", "textarea", "select", "title", "xmp", "noembed", "noframes", "head", "meta", "link",
    "base", "form",
})
_DIGITS = re.compile(r"^\d{1,4}$")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")


def _image_src_ok(value: str) -> bool:
    normalised = _URL_NOISE.sub("", html5lib_shim.convert_entities(value)).lower()
    try:
        return urlsplit(normalised).scheme in IMAGE_SCHEMES
    except ValueError:
        return False


def _allow_attribute(tag: str, name: str, value: str) -> bool:
    if tag == "a":
        return name in ("href", "title")
    if tag == "img":
        if name == "src":
            return _image_src_ok(value)
        if name in ("width", "height"):
            return bool(_DIGITS.match(value))
        return name in ("alt", "title")
    if tag in ("td", "th"):
        return name in ("colspan", "rowspan") and bool(_DIGITS.match(value))
    if tag == "ol":
        return name == "start" and bool(_DIGITS.match(value))
    return False


def _prune(element: Element) -> None:  # an xml.etree element built by html5lib
    """Cut dangerous elements out of the tree with their content, keeping the text that follows them."""
    for index in range(len(element) - 1, -1, -1):
        child = element[index]
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag.rsplit("}", 1)[-1].lower() in DROPPED_WITH_CONTENT:
            tail = child.tail or ""
            if tail:
                if index > 0:
                    element[index - 1].tail = (element[index - 1].tail or "") + tail
                else:
                    element.text = (element.text or "") + tail
            del element[index]
        else:
            _prune(child)


if TYPE_CHECKING:  # bleach's stubs leave out html5lib_shim.Filter, its vendored copy of html5lib's Filter
    from html5lib.filters.base import Filter as TokenFilter
    from html5lib.treewalkers.base import TreeWalker
else:
    TokenFilter = html5lib_shim.Filter


class _LinkRel(TokenFilter):
    """Every kept link gets rel="nofollow noopener": no ranking credit, no window.opener for the target."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token["data"])
                attrs[(None, "rel")] = "nofollow noopener"
                token["data"] = attrs
            yield token


class _Cleaner(bleach.Cleaner):
    def __init__(self) -> None:
        super().__init__(tags=ALLOWED_TAGS, attributes=_allow_attribute, protocols=LINK_PROTOCOLS, strip=True,
                         strip_comments=True, filters=[_LinkRel])
        # Parse with every tag as an element (not turned into text at tokenising), so _prune can find them;
        # bleach's sanitizer then strips what is left outside the allowlist.
        self.parser = html5lib_shim.BleachHTMLParser(tags=None, strip=False, consume_entities=False,
                                                     namespaceHTMLElements=False)
        walker = cast("type[TreeWalker]", self.walker)  # a class: bleach's stubs type it as an instance

        def pruning_walker(dom: Element) -> TreeWalker:
            _prune(dom)
            return walker(dom)

        self.walker = pruning_walker  # type: ignore[assignment]  # a walker factory, as the class it replaces


_local = threading.local()  # bleach cleaners keep parser state: one per thread


def clean_html(text: str | None) -> str:
    """Safe HTML for a rich-text field."""
    if not text or not text.strip():
        return ""
    cleaner = getattr(_local, "cleaner", None)
    if cleaner is None:
        cleaner = _local.cleaner = _Cleaner()
    return cleaner.clean(clean_text(text)).strip()


def html_to_text(html: str) -> str:
    """The visible text of cleaned HTML, for feeds, exports and metadata that take plain text."""
    text = re.sub(r"<(br|/p|/li|/h\d|/tr)[^>]*>", "\n", html or "", flags=re.IGNORECASE)
    text = re.sub(r"<[^>]+>", "", text)
    text = clean_text(html5lib_shim.convert_entities(text))  # "&#xFFFF;" stays an entity until here
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def strip_markup(text: str | None) -> str:
    """Plain text from what may hold pasted HTML: every tag removed, script/style and the like with their
    content (bleach.clean(tags=[], strip=True) keeps a script's text), entities decoded (the template escapes)."""
    return html_to_text(clean_html(text))
