"""Validation of resource fields, shared by the web form, the JSON-free service calls and the bulk import.

Input is a mapping of the import's column names (title, kind, summary, description, category, industries,
audience, credits, hours, teachers, external_url, tags, language, licence) to strings or lists. Every error
is collected at once, keyed by that column name, with a message in Chinese. The description is Markdown: its
source is kept and its HTML rendered and cleaned here (app/richtext.py).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _

from app.richtext import markdown_source, render_markdown
from app.sanitize import clean_text
from catalog.categories import Menu, TreeNode
from catalog.labels import AUDIENCE_NAMES, INDUSTRY_NAMES, KIND_NAMES, E, parse_choice
from catalog.models import Audience, Industry, ResourceKind

FIELDS = ("title", "kind", "summary", "description", "category", "industries", "audience", "credits", "hours",
          "teachers", "external_url", "tags", "language", "licence")
MAX_DESCRIPTION = 50_000
_SPLIT = re.compile(r"[;；,，、|\n]+")
# "name (title)": the name starts and ends with a non-space, so each space has one place to go. The lazy
# `[^()（）]+?` before `\s*` could split a run of spaces either way and backtracked in quadratic time.
_TEACHER = re.compile(r"^(?P<name>[^()（）\s](?:[^()（）]*[^()（）\s])?)\s*(?:[(（](?P<title>[^()（）]*)[)）])?$")
MAX_TEACHERS = 20
MAX_TEACHER_ITEM = 110  # a name and a title of 50 each, the brackets and a few spaces: longer is refused unread
MAX_LANGUAGE = 16  # Resource.language is String(16)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass
class ResourceData:
    """Clean values ready to store."""

    title: str
    kind: ResourceKind
    summary: str = ""
    description_html: str = ""
    description_md: str = ""
    category_ids: list[int] = field(default_factory=list)
    industries: list[Industry] = field(default_factory=list)
    audiences: list[Audience] = field(default_factory=list)
    credits: float = 0.0
    hours: float = 0.0
    teachers: list[tuple[str, str]] = field(default_factory=list)
    external_url: str = ""
    tags: list[str] = field(default_factory=list)
    language: str = "zh"
    licence: str = ""


def split_list(value: Any) -> list[str]:
    """A cell like "建筑；制造、物流" or a list from a form, as clean distinct items in order (a dict: a list's
    `in` made a cell of many items quadratic)."""
    items = value if isinstance(value, list | tuple) else _SPLIT.split(str(value or ""))
    out = dict.fromkeys(clean_text(str(item)) for item in items)
    out.pop("", None)
    return list(out)


def _number(value: Any, upper: float, column: str, errors: dict[str, str]) -> float:
    text = str(value if value is not None else "").strip()
    if not text:
        return 0.0
    try:
        number = float(text)
    except ValueError:
        errors[column] = _("应为数字，例如 2 或 1.5。")
        return 0.0
    if math.isnan(number) or number < 0 or number > upper:
        errors[column] = _("应在 0 到 %(n)d 之间。", n=int(upper))
        return 0.0
    return round(number, 1)


def check_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(value) <= 500 and " " not in value


def find_category(menu: Menu, text: str) -> TreeNode | None:
    """A category by code, by unique name, or by a path of names ("岗位技能/建筑")."""
    text = text.strip()
    node = menu.by_code.get(text)
    if node is not None:
        return node
    if "/" in text:
        wanted = [part.strip() for part in text.split("/")]
        for candidate in menu.flat():
            if [n.name for n in menu.ancestors(candidate.code)][-len(wanted):] == wanted:
                return candidate
        return None
    matches = [n for n in menu.flat() if n.name == text]
    return matches[0] if len(matches) == 1 else None


def _choices(enum_type: type[E], names: Mapping[str, E], raw: Any, column: str, errors: dict[str, str]) -> list[E]:
    chosen: list[E] = []
    bad: list[str] = []
    for item in split_list(raw):
        member = parse_choice(enum_type, names, item)
        (bad.append(item) if member is None else chosen.append(member))
    if bad:
        errors[column] = _("无法识别：%(items)s。可选：%(names)s。", items="、".join(bad), names="、".join(names))
    return list(dict.fromkeys(chosen))


def _teachers(raw: Any, errors: dict[str, str]) -> list[tuple[str, str]]:
    """Items past the 20th, or longer than a name and title can be, are refused without being matched."""
    items = split_list(raw)
    teachers = []
    for item in items[:MAX_TEACHERS]:
        match = _TEACHER.match(item) if len(item) <= MAX_TEACHER_ITEM else None
        name = match.group("name") if match else item
        title = (match.group("title") or "").strip() if match else ""
        if len(name) > 50 or len(title) > 50:
            errors["teachers"] = _("教师姓名和职称各不超过50字。")
        teachers.append((name[:50], title[:50]))
    if len(items) > MAX_TEACHERS:
        errors["teachers"] = _("最多填写20位教师。")
    return teachers


def _categories(raw: Any, menu: Menu, errors: dict[str, str]) -> list[int]:
    ids, unknown = [], []
    for item in split_list(raw):
        node = find_category(menu, item)
        (unknown.append(item) if node is None else ids.append(node.category.id))
    if unknown:
        errors["category"] = _("目录分类不存在：%(items)s。", items="、".join(unknown))
    elif not ids:
        errors["category"] = _("请至少选择一个目录分类。")
    return list(dict.fromkeys(ids))


def validate_resource(raw: Mapping[str, Any], menu: Menu) -> tuple[ResourceData | None, dict[str, str]]:
    """Check every field; returns (data, {}) or (None, {column: message})."""
    errors: dict[str, str] = {}
    title = clean_text(str(raw.get("title") or ""))
    if not title:
        errors["title"] = _("请填写标题。")
    elif len(title) > 200:
        errors["title"] = _("标题最多200字。")
    kind = parse_choice(ResourceKind, KIND_NAMES, str(raw.get("kind") or ""))
    if kind is None:
        errors["kind"] = _("类型应为 网络课程、视频公开课 或 微课。")
    summary = clean_text(str(raw.get("summary") or ""))
    if len(summary) > 500:
        errors["summary"] = _("简介最多500字。")
    description = markdown_source(raw.get("description"))
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = _("详细介绍太长（最多%(n)d字符）。", n=MAX_DESCRIPTION)
    external_url = clean_text(str(raw.get("external_url") or ""))
    if external_url and not check_url(external_url):
        errors["external_url"] = _("链接应以 http:// 或 https:// 开头。")
    tags = split_list(raw.get("tags"))
    if len(tags) > 10 or any(len(tag) > 40 for tag in tags):
        errors["tags"] = _("最多10个标签，每个不超过40字。")
    language = clean_text(str(raw.get("language") or "zh")) or "zh"
    if len(language) > MAX_LANGUAGE:
        errors["language"] = _("语言代码最多%(n)d个字符。", n=MAX_LANGUAGE)
    elif not _LANGUAGE.match(language):
        errors["language"] = _("语言代码不正确，例如 zh 或 en。")
    licence = clean_text(str(raw.get("licence") or ""))
    if len(licence) > 100:
        errors["licence"] = _("许可协议最多100字。")
    data = ResourceData(
        title=title, kind=kind or ResourceKind.course, summary=summary,
        category_ids=_categories(raw.get("category"), menu, errors),
        industries=_choices(Industry, INDUSTRY_NAMES, raw.get("industries"), "industries", errors),
        audiences=_choices(Audience, AUDIENCE_NAMES, raw.get("audience"), "audience", errors),
        credits=_number(raw.get("credits"), 100, "credits", errors),
        hours=_number(raw.get("hours"), 10000, "hours", errors),
        teachers=_teachers(raw.get("teachers"), errors), external_url=external_url, tags=tags,
        language=language, licence=licence)
    if errors:
        return None, errors
    data.description_md, data.description_html = description, render_markdown(description)
    return data, {}
