"""Open publishing formats for published resources and union catalogs: JSON for the API, CSV and XLSX
downloads, the Atom feed, and schema.org JSON-LD for resource pages. Called from views (absolute links
come from url_for), never with unpublished resources."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, cast
from xml.etree import ElementTree as ET

from flask import url_for

from app.sanitize import html_to_text
from app.tabular import csv_bytes, xlsx_cells
from app.text import xml_safe
from app.timefmt import datetime_text
from catalog import covers
from catalog.labels import AUDIENCE_LABELS, INDUSTRY_LABELS, KIND_LABELS, LESSON_TYPE_LABELS
from catalog.models import Resource, UnionCatalog
from catalog.union_catalogs import Entry

ATOM = "http://www.w3.org/2005/Atom"


def iso(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def resource_url(resource: Resource) -> str:
    return url_for("catalog.resource", resource_id=resource.id, _external=True)


def cover_urls(resource: Resource) -> dict[str, str]:
    if not resource.cover_key:
        return {}
    return {str(w): url_for("catalog.cover", name=covers.file_name(resource.cover_key, w), _external=True)
            for w in covers.WIDTHS}


def resource_summary(resource: Resource) -> dict[str, Any]:
    """The list form: what a card or a harvester's overview needs. Provider must be loaded."""
    return {
        "id": resource.id, "title": resource.title, "kind": resource.kind.value,
        "kind_label": str(KIND_LABELS[resource.kind]), "summary": resource.summary,
        "provider": {"code": resource.provider.code, "name": resource.provider.name},
        "credits": resource.credits, "hours": resource.hours, "enrolment_count": resource.enrolment_count,
        "published_at": iso(resource.published_at), "updated_at": iso(resource.updated_at),
        "external_url": resource.external_url or None, "cover": cover_urls(resource), "url": resource_url(resource),
    }


def resource_detail(resource: Resource) -> dict[str, Any]:
    """Everything public about one resource, lessons included (their media arrive with the media package)."""
    units = {u.id: u for u in resource.units}
    data = resource_summary(resource)
    data.update({
        "description_html": resource.description_html, "language": resource.language,
        "licence": resource.licence or None,
        "categories": [{"code": c.code, "name": c.name} for c in resource.categories],
        "industries": [{"code": i.industry.value, "name": str(INDUSTRY_LABELS[i.industry])}
                       for i in resource.industries],
        "audiences": [{"code": a.audience.value, "name": str(AUDIENCE_LABELS[a.audience])}
                      for a in resource.audiences],
        "tags": [t.name for t in resource.tags],
        "coauthors": [{"code": o.code, "name": o.name} for o in resource.partners],  # 校企合作, with the provider
        "teachers": [{"name": t.name, "title": t.title} for t in resource.teachers],
        "units": [{"id": u.id, "title": u.title} for u in resource.units],
        "lessons": [{"id": lesson.id, "title": lesson.title, "type": lesson.type.value,
                     "type_label": str(LESSON_TYPE_LABELS[lesson.type]), "duration_s": lesson.duration_s,
                     "required": lesson.required, "unit_id": lesson.unit_id,
                     "unit": units[lesson.unit_id].title if lesson.unit_id in units else None}
                    for lesson in resource.lessons],
        "duration_s": resource.duration_s,
    })
    return data


def json_ld(resource: Resource) -> dict[str, Any]:
    """schema.org Course; rendered with Jinja's |tojson, which escapes <, > and & inside the script tag."""
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "Course", "@id": resource_url(resource),
        "url": resource_url(resource), "name": resource.title, "courseCode": f"QX-{resource.id}",
        "description": resource.summary or html_to_text(resource.description_html)[:500],
        "inLanguage": resource.language, "isAccessibleForFree": True,
        "learningResourceType": str(KIND_LABELS[resource.kind]),
        "provider": {"@type": "Organization", "name": resource.provider.name,
                     "identifier": resource.provider.code},
        # 校企合作: the organisations that wrote it with the provider (schema.org has no co-provider)
        "contributor": [{"@type": "Organization", "name": o.name, "identifier": o.code}
                        for o in resource.partners] or None,
        "datePublished": iso(resource.published_at), "dateModified": iso(resource.updated_at),
        "keywords": [t.name for t in resource.tags] or None,
        "about": [c.name for c in resource.categories] or None,
        "audience": [{"@type": "EducationalAudience", "educationalLevel": str(AUDIENCE_LABELS[a.audience])}
                     for a in resource.audiences] or None,
        "author": [{"@type": "Person", "name": t.name, "jobTitle": t.title or None}
                   for t in resource.teachers] or None,
        "license": resource.licence or None,
        "timeRequired": f"PT{resource.hours:g}H" if resource.hours else None,
        "numberOfCredits": resource.credits or None,
        "image": cover_urls(resource).get(str(covers.WIDTHS[-1])),
        "sameAs": resource.external_url or None,
        "hasCourseInstance": {"@type": "CourseInstance", "courseMode": "online",
                              "courseWorkload": f"PT{resource.hours:g}H" if resource.hours else None},
        "hasPart": [{"@type": "LearningResource", "name": lesson.title, "position": lesson.position + 1,
                     "timeRequired": f"PT{lesson.duration_s}S" if lesson.duration_s else None}
                    for lesson in resource.lessons] or None,
    }
    return cast(dict[str, Any], _drop_empty(data))


def _drop_empty(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


CATALOG_COLUMNS = ("栏目", "编号", "标题", "类型", "提供单位", "学分", "学时", "简介", "链接", "发布时间")


def catalog_rows(entries: list[tuple[Any, Entry]]) -> list[list[Any]]:
    rows = []
    for section, entry in entries:
        resource = entry.resource
        if resource is None:
            rows.append([section.title, "", entry.link_title, "", "", "", "", "", entry.link_url, ""])
            continue
        rows.append([section.title, resource.id, resource.title, str(KIND_LABELS[resource.kind]),
                     resource.provider.name, resource.credits, resource.hours, resource.summary,
                     resource_url(resource), datetime_text(resource.published_at)])  # people read it: Beijing
    return rows


def catalog_csv(entries: list[tuple[Any, Entry]]) -> bytes:
    """Formulas typed into titles stay text (app/tabular.py)."""
    return csv_bytes([CATALOG_COLUMNS, *catalog_rows(entries)])


def catalog_xlsx(catalog: UnionCatalog, entries: list[tuple[Any, Entry]]) -> bytes:
    from openpyxl import Workbook  # here: openpyxl is 20 MB, only a spreadsheet needs it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="资源目录")
    sheet.append(list(CATALOG_COLUMNS))
    for row in catalog_rows(entries):
        sheet.append(xlsx_cells(sheet, row))
    workbook.properties.title = xml_safe(catalog.title)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    """ElementTree writes any character it is given: text from the database (which may predate the input
    cleaning) loses what XML forbids here, or one U+FFFF in a title breaks the feed for every reader."""
    element = ET.SubElement(parent, tag, {name: xml_safe(value) for name, value in attrs.items()})
    if text is not None:
        element.text = xml_safe(text)
    return element


def atom_feed(catalog: UnionCatalog, resources: list[Resource], feed_url: str, page_url: str) -> bytes:
    """Newly published resources of a catalog, newest first."""
    feed = ET.Element("feed", {"xmlns": ATOM, "xml:lang": "zh-CN"})  # Atom as the default namespace
    _sub(feed, "id", feed_url)
    _sub(feed, "title", catalog.title)
    updated = max((r.published_at for r in resources if r.published_at), default=catalog.updated_at)
    _sub(feed, "updated", iso(updated))
    _sub(feed, "link", rel="self", href=feed_url, type="application/atom+xml")
    _sub(feed, "link", rel="alternate", href=page_url, type="text/html")
    author = _sub(feed, "author")
    _sub(author, "name", catalog.org.name)
    for resource in resources:
        entry = _sub(feed, "entry")
        _sub(entry, "id", resource_url(resource))
        _sub(entry, "title", resource.title)
        _sub(entry, "updated", iso(resource.updated_at))
        _sub(entry, "published", iso(resource.published_at))
        _sub(entry, "link", rel="alternate", href=resource_url(resource), type="text/html")
        entry_author = _sub(entry, "author")
        _sub(entry_author, "name", resource.provider.name)
        _sub(entry, "category", term=resource.kind.value, label=str(KIND_LABELS[resource.kind]))
        _sub(entry, "summary", resource.summary or html_to_text(resource.description_html)[:500])
    return cast(bytes, ET.tostring(feed, encoding="utf-8", xml_declaration=True))
