"""The news feed (Atom, RFC 4287), written as catalog/exports.py writes a union catalog's feed."""

from __future__ import annotations

from typing import cast
from xml.etree import ElementTree as ET

from flask import url_for

from app.db import utcnow
from app.sanitize import html_to_text
from app.text import xml_safe
from catalog.exports import ATOM, iso
from programme.publicity.models import Post


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {name: xml_safe(value) for name, value in attrs.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def atom(items: list[Post], feed_url: str, page_url: str) -> bytes:
    """Published posts, newest first (absolute links: called inside a request)."""
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "zh-CN"})
    _sub(feed, "id", feed_url)
    _sub(feed, "title", "求学 · 新闻与先进典型")
    _sub(feed, "updated", iso(max((p.published_at for p in items if p.published_at), default=utcnow())))
    _sub(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=page_url, type="text/html")
    for post in items:
        url = url_for("programme_support.news_post", post_id=post.id, _external=True)
        entry = _sub(feed, "entry")
        _sub(entry, "id", url)
        _sub(entry, "title", post.title)
        _sub(entry, "updated", iso(post.updated_at))
        _sub(entry, "published", iso(post.published_at))
        _sub(entry, "link", rel="alternate", href=url, type="text/html")
        _sub(_sub(entry, "author"), "name", post.org.name)
        _sub(entry, "category", term=post.kind.value)
        _sub(entry, "summary", post.summary or html_to_text(post.body_html)[:500])
    return cast(bytes, ET.tostring(feed, encoding="utf-8", xml_declaration=True))
