"""The demo catalog `make run` loads: the menu, 66 resources across every menu branch from the demo
institutions and unions (with units and lessons of realistic lengths), their publishing history, and
union catalogs at three levels showing inheritance (province -> Hangzhou -> Xihu, and Ningbo)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.organisations import get_by_code
from app.accounts.policy import SYSTEM
from app.db import utcnow
from app.richtext import render_markdown
from catalog import categories, lessons, service, union_catalogs
from catalog.demo_data import EXTERNAL, RESOURCES, UNPUBLISHED
from catalog.models import Lesson, LessonType, Resource, ResourceKind, ResourceStatus, Unit

INDUSTRY_OF = {
    "skills-construction": "construction", "skills-manufacturing": "manufacturing", "skills-energy": "energy",
    "skills-logistics": "logistics", "skills-catering": "catering", "skills-property": "property",
    "skills-housekeeping": "housekeeping", "skills-elderly-care": "elderly_care",
    "skills-transfer": "manufacturing;energy", "export-engineering": "construction",
    "literacy-safety": "construction;manufacturing",
}
LENGTHS = {ResourceKind.course: (600, 1500), ResourceKind.video_lecture: (1200, 2700),
           ResourceKind.micro_course: (240, 840)}


def _duration(kind: ResourceKind, seed: int) -> int:
    low, high = LENGTHS[kind]
    return low + (seed * 7919) % (high - low) // 30 * 30


def _description(summary: str, outline: list[str]) -> str:
    """Markdown, as staff write it in the form."""
    items = "\n".join(f"- {title}" for title in outline)
    return f"### 简介\n\n{summary}\n\n### 你将学到\n\n{items}"


def _lesson(title: str, kind: ResourceKind, seed: int, unit: Unit | None) -> Lesson:
    if title.endswith("*"):
        title = title[:-1]
        body = f"本课时为图文讲解：**{title}**。\n\n1. 先通读要点\n2. 对照本章视频复习\n3. 结合自己的岗位想一想"
        return Lesson(title=title, type=LessonType.reading, duration_s=300, body_md=body,
                      body_html=render_markdown(body), unit=unit)
    return Lesson(title=title, type=LessonType.video, duration_s=_duration(kind, seed), unit=unit)


def _add_lessons(resource: Resource, spec: str) -> list[str]:
    """Units and lessons from the compact spec; returns the outline for the description."""
    outline, seed = [], resource.id or 1
    if resource.kind == ResourceKind.course:
        for chapter in spec.split(";"):
            unit_title, _sep, titles = chapter.partition(":")
            unit = Unit(title=unit_title, position=len(resource.units))
            resource.units.append(unit)
            outline.append(unit_title)
            for title in titles.split("|"):
                seed += 1
                resource.lessons.append(_lesson(title, resource.kind, seed, unit))
    else:
        for title in spec.split("|"):
            seed += 1
            resource.lessons.append(_lesson(title, resource.kind, seed, None))
            outline.append(title.rstrip("*"))
    lessons.renumber(resource)
    return outline


def _create(session: Session, index: int, row: tuple[Any, ...]) -> Resource:
    category, kind, provider, title, summary, audience, credits, hours, teachers, tags, spec = row
    raw = {"title": title, "kind": kind, "summary": summary, "category": category,
           "industries": INDUSTRY_OF.get(category, ""), "audience": audience, "credits": str(credits),
           "hours": str(hours), "teachers": teachers, "tags": tags, "external_url": EXTERNAL.get(title, ""),
           "licence": "CC BY-NC-SA 4.0"}
    resource = service.create_resource(session, SYSTEM, get_by_code(session, provider), raw)
    resource.description_md = _description(summary, _add_lessons(resource, spec))
    resource.description_html = render_markdown(resource.description_md)
    resource.enrolment_count = (index * 7919) % 3000 + (500 if resource.credits else 0)
    session.flush()
    return resource


def _publish(session: Session, resource: Resource, days_ago: int) -> None:
    status, comment = UNPUBLISHED.get(resource.title, ("published", ""))
    if status == "draft" or service.unplayable_lessons(resource):
        return  # the workflow takes no video lesson without a video (no ffmpeg, no demo clips): stays a draft
    service.submit(session, SYSTEM, resource)
    if status == "submitted":
        return
    if status == "returned":
        service.review(session, SYSTEM, resource, "return", comment)
        return
    service.review(session, SYSTEM, resource, "select", "演示数据")
    resource.published_at = utcnow() - timedelta(days=days_ago, hours=days_ago % 7)


def _union_catalogs(session: Session, published: list[Resource]) -> int:
    province = union_catalogs.create_catalog(session, SYSTEM, get_by_code(session, "330000"),
                                             title="浙江省总工会职工学习资源开放目录")
    province.intro = "省总工会遴选的网络课程、视频公开课和微课，面向全省职工免费开放。"
    roots = {root.code: section for root, section in zip(categories.load_menu(session).roots, province.sections,
                                                          strict=True)}
    menu = categories.load_menu(session)
    for resource in published:
        root = menu.ancestors(resource.categories[0].code)[0].code
        union_catalogs.add_resource(session, SYSTEM, province, roots[root].id, resource.id)
    hangzhou = union_catalogs.create_catalog(session, SYSTEM, get_by_code(session, "330100"),
                                             title="杭州市总工会资源开放目录")
    local = [r for r in published if r.provider.code in ("INST-HZVTC", "330100")]
    for resource in local[:3]:  # Hangzhou puts its own colleges' courses first
        section = next(s for s in hangzhou.sections if s.source_section_id == roots[
            menu.ancestors(resource.categories[0].code)[0].code].id)
        union_catalogs.set_entry(session, SYSTEM, hangzhou, section.id, f"r{resource.id}", "pin")
    skills = next(s for s in hangzhou.sections if s.title == "岗位技能")
    far = next(r for r in published if r.provider.code == "INST-WZTC")
    union_catalogs.set_entry(session, SYSTEM, hangzhou, skills.id, f"r{far.id}", "hide")
    union_catalogs.add_link(session, SYSTEM, hangzhou, skills.id, "杭州市职工技能培训报名（示例链接）",
                            "https://example.org/qiuxue-demo/hangzhou-training")
    news = union_catalogs.add_section(session, SYSTEM, hangzhou, "杭州特色课程")
    for resource in [r for r in published if r.provider.code == "330100"]:
        union_catalogs.add_resource(session, SYSTEM, hangzhou, news.id, resource.id)
    xihu = union_catalogs.create_catalog(session, SYSTEM, get_by_code(session, "330106"),
                                         title="西湖区总工会资源开放目录")
    literacy = next(s for s in xihu.sections if s.title == "综合素质")
    for resource in [r for r in published if r.provider.code == "330106"]:
        union_catalogs.add_resource(session, SYSTEM, xihu, literacy.id, resource.id, pinned=True)
    union_catalogs.create_catalog(session, SYSTEM, get_by_code(session, "330200"), title="宁波市总工会资源开放目录")
    return 4


def load(session: Session, ready_media: Callable[[Session, list[Lesson]], int] | None = None) -> dict[str, int]:
    """Called from app.demo.load after the organisations and accounts exist. `ready_media` (media.demo.ready_clips,
    passed in by app.demo: the catalog never imports media) gives the video lessons of what will be submitted
    their videos first, since nothing unplayable is submitted or published."""
    added = categories.seed_menu(session)
    resources = [_create(session, index, row) for index, row in enumerate(RESOURCES)]
    if ready_media is not None:
        ready_media(session, [lesson for r in resources if UNPUBLISHED.get(r.title, ("published",))[0] != "draft"
                              for lesson in service.unplayable_lessons(r)])
    for index, resource in enumerate(resources):
        _publish(session, resource, days_ago=len(resources) - index)
    session.flush()
    published = [r for r in resources if r.status == ResourceStatus.published]
    catalogs = _union_catalogs(session, published)
    return {"categories": added, "resources": len(resources), "published": len(published), "catalogs": catalogs}
