"""Bulk import (批量导入) of resources from CSV (UTF-8 with or without BOM, or GB18030 as Excel in China
saves it) or XLSX, read by the kernel's reader and its limits (app/tabular.py), with the columns title, kind,
summary, description, category, industries, audience, credits, hours, teachers, external_url, tags (and
optionally language, licence; Chinese headers work too). The description is Markdown, as in the form (app/richtext.py);
HTML in it is cleaned like any rich text, so an older file's HTML descriptions still import as they did.

Every row is checked first and every problem reported as (row, column, message in Chinese). By default
nothing is imported when any row is wrong; `valid_only` imports the good rows and reports the rest.
Rows are written with bulk inserts (one statement per table per chunk), which is what makes 10,000 rows
take seconds rather than minutes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app import outbox, tabular
from app.accounts.models import Organisation
from app.accounts.policy import require
from app.db import utcnow
from app.tabular import DEFAULT_LIMITS, TableLimits
from catalog.categories import load_menu
from catalog.models import (
    Resource,
    ResourceAudience,
    ResourceCategory,
    ResourceIndustry,
    ResourceStatus,
    ResourceTag,
    ResourceTeacher,
    ResourceTransition,
    Tag,
)
from catalog.schemas import FIELDS, ResourceData, validate_resource
from catalog.service import actor_name, tags_by_name

REQUIRED = ("title", "kind", "category")
HEADER_ALIASES = {
    "标题": "title", "名称": "title", "类型": "kind", "简介": "summary", "摘要": "summary",
    "详细介绍": "description", "介绍": "description", "描述": "description", "分类": "category",
    "目录分类": "category", "行业": "industries", "适用对象": "audience", "对象": "audience", "学分": "credits",
    "学时": "hours", "教师": "teachers", "授课教师": "teachers", "外部链接": "external_url", "链接": "external_url",
    "标签": "tags", "语言": "language", "许可协议": "licence", "许可": "licence",
}
CHUNK = 500


@dataclass
class RowError:
    row: int        # as the spreadsheet numbers it: the header is row 1
    column: str     # the column as written in the file's header
    message: str


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    published: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors})


def read_rows(data: bytes, filename: str = "", *, limits: TableLimits = DEFAULT_LIMITS
              ) -> tuple[dict[str, str], list[tuple[int, dict[str, str]]]]:
    """The file's resource rows, by the kernel's reader (app/tabular.py) with this import's columns."""
    return tabular.read_rows(data, filename, limits=limits, fields=FIELDS, aliases=HEADER_ALIASES,
                             required=REQUIRED)


def import_resources(session: Session, actor: Any, provider: Organisation, data: bytes, filename: str = "", *,
                     valid_only: bool = False, publish: bool = False, limits: TableLimits = DEFAULT_LIMITS,
                     progress: Callable[[int], None] | None = None) -> ImportReport:
    """Check every row, then (unless some are wrong and valid_only is off) insert the good ones as drafts,
    or as published resources when `publish` (which needs the right to review them too)."""
    require(actor, "resource.create", provider)
    if publish:
        require(actor, "resource.review", SimpleNamespace(provider=provider))
    written, rows = read_rows(data, filename, limits=limits)
    menu = load_menu(session)
    report = ImportReport(rows=len(rows))
    good: list[ResourceData] = []
    for number, raw in rows:
        values, errors = validate_resource(raw, menu)
        if publish and values is not None and not values.external_url:
            errors = {"external_url": _("直接发布的资源需要外部链接（导入的资源还没有课时）。")}
        for column, message in errors.items():
            report.errors.append(RowError(number, written.get(column, column), message))
        if not errors:
            assert values is not None  # validate_resource returns the data when it found no error
            good.append(values)
    if report.errors and not valid_only:
        return report
    for start in range(0, len(good), CHUNK):
        chunk = good[start:start + CHUNK]
        _insert(session, actor, provider, chunk, publish)
        if progress:
            progress(len(chunk))
    report.imported = len(good)
    report.published = len(good) if publish else 0
    return report


def _insert(session: Session, actor: Any, provider: Organisation, chunk: list[ResourceData], publish: bool) -> None:
    now = utcnow()
    status = ResourceStatus.published if publish else ResourceStatus.draft
    ids = list(session.scalars(insert(Resource).returning(Resource.id, sort_by_parameter_order=True), [
        {"title": d.title, "kind": d.kind, "summary": d.summary, "description_html": d.description_html,
         "description_md": d.description_md, "status": status, "provider_id": provider.id, "credits": d.credits,
         "hours": d.hours, "language": d.language, "licence": d.licence, "external_url": d.external_url,
         "cover_key": "", "status_comment": "", "enrolment_count": 0, "view_count": 0,
         "created_by_id": getattr(actor, "id", None),
         "created_at": now, "updated_at": now, "published_at": now if publish else None} for d in chunk]))
    tag_cache: dict[str, Tag] = {}
    tags = {name: tag for d in chunk for name, tag in zip(d.tags, tags_by_name(session, d.tags, tag_cache),
                                                           strict=True)}
    session.flush()  # new tags get their ids
    links: dict[type, list[dict[str, Any]]] = {ResourceCategory: [], ResourceIndustry: [], ResourceAudience: [],
                                              ResourceTeacher: [], ResourceTag: [], ResourceTransition: []}
    who = {"actor_id": getattr(actor, "id", None), "actor_name": actor_name(actor), "at": now}
    for resource_id, d in zip(ids, chunk, strict=True):
        links[ResourceCategory] += [{"resource_id": resource_id, "category_id": c} for c in d.category_ids]
        links[ResourceIndustry] += [{"resource_id": resource_id, "industry": i} for i in d.industries]
        links[ResourceAudience] += [{"resource_id": resource_id, "audience": a} for a in d.audiences]
        links[ResourceTeacher] += [{"resource_id": resource_id, "name": n, "title": t, "position": p}
                                   for p, (n, t) in enumerate(d.teachers)]
        links[ResourceTag] += [{"resource_id": resource_id, "tag_id": tags[name].id} for name in d.tags]
        links[ResourceTransition].append({"resource_id": resource_id, "action": "import", "from_status": None,
                                          "to_status": ResourceStatus.draft, "comment": "", **who})
        if publish:
            links[ResourceTransition].append({
                "resource_id": resource_id, "action": "select", "from_status": ResourceStatus.draft,
                "to_status": ResourceStatus.published, "comment": _("批量导入并发布"), **who})
    for model, values in links.items():
        if values:
            session.execute(insert(model), values)
    for resource_id in ids:
        outbox.emit(session, "resource", resource_id)
    session.flush()
