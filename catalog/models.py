"""What the catalog stores: resources (courses, video lectures, micro-courses) with their units and
lessons, the menu (category tree), the controlled vocabularies linked to resources (industries,
audiences, tags, teachers), the history of every status transition, and the union catalogs
(资源开放目录) with their sections and items.

Stable fields other packages rely on (search indexes them, media fills `Lesson.media_asset_id`,
learning reads credits and lessons) are marked "stable" below; renaming one is a breaking change.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Organisation, User
from app.db import Base, Ordered, utcnow


class ResourceKind(enum.StrEnum):
    course = "course"                  # 网络课程: ordered units -> lessons
    video_lecture = "video_lecture"    # 视频公开课: one video or a short series
    micro_course = "micro_course"      # 微课: one short lesson, at most 15 minutes


class ResourceStatus(enum.StrEnum):
    """draft -> submitted -> published | returned; published -> unpublished (by the union) or withdrawn
    (by the provider). Returned, unpublished and withdrawn resources can be edited and submitted again."""

    draft = "draft"
    submitted = "submitted"
    published = "published"
    returned = "returned"
    unpublished = "unpublished"
    withdrawn = "withdrawn"


class LessonType(enum.StrEnum):
    video = "video"        # media arrives with the media package (media_asset_id)
    reading = "reading"    # cleaned rich text in body_html
    external = "external"  # a link to a lesson hosted elsewhere


class Industry(enum.StrEnum):
    """The eight industries the programme names for job-skills training."""

    construction = "construction"
    manufacturing = "manufacturing"
    energy = "energy"
    logistics = "logistics"
    catering = "catering"
    property = "property"
    housekeeping = "housekeeping"
    elderly_care = "elderly_care"


class Audience(enum.StrEnum):
    """Who a resource is for: an academic level, a national skill level (5 lowest .. 1 highest), or everyone."""

    zhuanke = "zhuanke"              # 专科
    gaoqiben = "gaoqiben"            # 高起本
    zhuanshengben = "zhuanshengben"  # 专升本
    skill_5 = "skill_5"              # 初级工
    skill_4 = "skill_4"              # 中级工
    skill_3 = "skill_3"              # 高级工
    skill_2 = "skill_2"              # 技师
    skill_1 = "skill_1"              # 高级技师
    general = "general"              # 通用


def _enum(e: type[enum.Enum], name: str) -> Enum:
    # Plain strings with a CHECK constraint, as app.accounts.models does.
    return Enum(e, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda members: [m.value for m in members])


class Category(Ordered, Base):
    """A node of the menu (菜单). Never deleted while resources or child categories point at it."""

    __tablename__ = "categories"
    __table_args__ = (Index("ix_categories_parent_position", "parent_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    # Stable slug for URLs, imports and OAI-PMH set specs ("skills-construction"); survives renames and moves.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    parent: Mapped[Category | None] = relationship(remote_side="Category.id", back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.position")


class ResourceCategory(Base):
    """Resource <-> menu category (many to many). RESTRICT: a category holding resources cannot go."""

    __tablename__ = "resource_categories"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), primary_key=True,
                                             index=True)


class Resource(Base):
    __tablename__ = "resources"
    __table_args__ = (
        # The public list pages order published resources three ways; each order has its index.
        Index("ix_resources_status_published_at", "status", "published_at"),
        Index("ix_resources_status_enrolment_count", "status", "enrolment_count"),
        Index("ix_resources_status_credits", "status", "credits"),
        CheckConstraint("credits >= 0", name="credits_not_negative"),
        CheckConstraint("hours >= 0", name="hours_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)                              # stable
    title: Mapped[str] = mapped_column(String(200))                                # stable
    summary: Mapped[str] = mapped_column(Text, default="")                         # stable; plain text
    # stable; rich text already cleaned by app.sanitize on every write, safe to render as HTML
    description_html: Mapped[str] = mapped_column(Text, default="")
    # what staff wrote (Markdown, app/richtext.py); description_html is its rendering, so no page renders Markdown
    description_md: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[ResourceKind] = mapped_column(_enum(ResourceKind, "resource_kind"))                  # stable
    status: Mapped[ResourceStatus] = mapped_column(_enum(ResourceStatus, "resource_status"),
                                                   default=ResourceStatus.draft)                     # stable
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"),
                                             index=True)                                             # stable
    credits: Mapped[float] = mapped_column(Float, default=0)   # stable; 学分, 0 = no credits
    hours: Mapped[float] = mapped_column(Float, default=0)     # stable; 学时 (study hours)
    language: Mapped[str] = mapped_column(String(16), default="zh")  # BCP 47 code
    licence: Mapped[str] = mapped_column(String(100), default="")    # free text, e.g. "CC BY-NC 4.0"
    # Resources hosted elsewhere are listed with a link; lessons are then optional.
    external_url: Mapped[str] = mapped_column(String(500), default="")
    # Generated base name of the cover under DATA_DIR/covers ("<key>-480.jpg", "<key>-960.jpg"); "" = none.
    cover_key: Mapped[str] = mapped_column(String(64), default="")
    # The last return or unpublish/withdraw reason, shown to the provider until the next transition.
    status_comment: Mapped[str] = mapped_column(Text, default="")
    # stable; kept by the learning package. Counter updates must set updated_at=Resource.updated_at, or the
    # column's onupdate makes every enrolment look like an edit to harvesters (see catalog.counters).
    enrolment_count: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0)        # resource page views, flushed in batches
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)                           # stable
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)          # stable
    # stable; the latest time it went public (the Atom feed and OAI-PMH datestamps use updated_at/published_at)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)

    provider: Mapped[Organisation] = relationship()
    categories: Mapped[list[Category]] = relationship(secondary="resource_categories", order_by="Category.position")
    industries: Mapped[list[ResourceIndustry]] = relationship(cascade="all, delete-orphan",
                                                              order_by="ResourceIndustry.industry")
    audiences: Mapped[list[ResourceAudience]] = relationship(cascade="all, delete-orphan",
                                                             order_by="ResourceAudience.audience")
    tags: Mapped[list[Tag]] = relationship(secondary="resource_tags", order_by="Tag.name")
    teachers: Mapped[list[ResourceTeacher]] = relationship(cascade="all, delete-orphan",
                                                           order_by="ResourceTeacher.position")
    units: Mapped[list[Unit]] = relationship(back_populates="resource", cascade="all, delete-orphan",
                                             order_by="Unit.position")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="resource", cascade="all, delete-orphan",
                                                 order_by="Lesson.position")
    transitions: Mapped[list[ResourceTransition]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="ResourceTransition.id")
    created_by: Mapped[User | None] = relationship()
    # 校企合作: the other organisations writing it with the provider (invited, then accepted); see coauthors.py.
    # Loaded when asked (the resource page and the policy ask), so lists of resources pay nothing for it.
    coauthors: Mapped[list[ResourceCoauthor]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="ResourceCoauthor.id")

    @property
    def partners(self) -> list[Organisation]:
        """The co-authors that accepted: named with the provider, and their staff edit it too."""
        return [c.org for c in self.coauthors if c.accepted_at is not None]

    @property
    def is_published(self) -> bool:
        return self.status == ResourceStatus.published

    @property
    def duration_s(self) -> int:
        return sum(lesson.duration_s or 0 for lesson in self.lessons)

    def __repr__(self) -> str:
        return f"<Resource {self.id} {self.kind.value} {self.status.value} {self.title!r}>"


class ResourceIndustry(Base):
    __tablename__ = "resource_industries"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    industry: Mapped[Industry] = mapped_column(_enum(Industry, "industry"), primary_key=True, index=True)


class ResourceAudience(Base):
    __tablename__ = "resource_audiences"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    audience: Mapped[Audience] = mapped_column(_enum(Audience, "audience"), primary_key=True, index=True)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class ResourceTag(Base):
    __tablename__ = "resource_tags"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)


class ResourceTeacher(Ordered, Base):
    """A teacher as shown on the resource (name and title); not an account."""

    __tablename__ = "resource_teachers"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(50), default="")  # 职称, e.g. 副教授, 高级技师


class ResourceCoauthor(Base):
    """An organisation co-authoring a resource with its provider (校企合作: an institution and an enterprise).
    Invited by the provider's staff, it counts once the invited organisation's staff accept; removing the row (by
    the provider, or the co-author leaving) ends it at once."""

    __tablename__ = "resource_coauthors"
    __table_args__ = (UniqueConstraint("resource_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)  # None while the invitation is open

    resource: Mapped[Resource] = relationship(back_populates="coauthors")
    org: Mapped[Organisation] = relationship(lazy="joined")


class Unit(Ordered, Base):
    """A chapter of a course (网络课程); video lectures and micro-courses have lessons without units."""

    __tablename__ = "units"
    __table_args__ = (Index("ix_units_resource_position", "resource_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))

    resource: Mapped[Resource] = relationship(back_populates="units")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="unit", order_by="Lesson.position")


class Lesson(Ordered, Base):
    __tablename__ = "lessons"
    __table_args__ = (Index("ix_lessons_resource_position", "resource_id", "position"),
                      CheckConstraint("duration_s >= 0", name="duration_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)                                           # stable
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))     # stable
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    # stable; order within the whole resource (units first by their position, then lessons by this)
    title: Mapped[str] = mapped_column(String(200))                                              # stable
    type: Mapped[LessonType] = mapped_column(_enum(LessonType, "lesson_type"))                   # stable
    duration_s: Mapped[int] = mapped_column(Integer, default=0)  # stable; seconds, media fills it in for video
    body_html: Mapped[str] = mapped_column(Text, default="")     # reading lessons; cleaned on write
    body_md: Mapped[str] = mapped_column(Text, default="")       # ... as written (Markdown), rendered into body_html
    external_url: Mapped[str] = mapped_column(String(500), default="")  # external lessons
    # an optional (选修) lesson is offered but not needed for the resource to count as complete
    required: Mapped[bool] = mapped_column(default=True, server_default=true())
    # stable; the media asset playing this lesson. No foreign key on purpose: the media package adds its
    # table later and may add the constraint in its own migration.
    # the media package's asset (media_assets.id); referenced by table name so catalog never imports media
    media_asset_id: Mapped[int | None] = mapped_column(ForeignKey("media_assets.id", ondelete="SET NULL"), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    resource: Mapped[Resource] = relationship(back_populates="lessons")
    unit: Mapped[Unit | None] = relationship(back_populates="lessons")


class ResourceTransition(Base):
    """One step of the publishing workflow: who moved the resource from which status to which, and why."""

    __tablename__ = "resource_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # create, import, submit, select, return, unpublish, withdraw
    from_status: Mapped[ResourceStatus | None] = mapped_column(_enum(ResourceStatus, "from_status"))
    to_status: Mapped[ResourceStatus] = mapped_column(_enum(ResourceStatus, "to_status"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as written at the time: the history stays readable after an account is renamed or removed.
    actor_name: Mapped[str] = mapped_column(String(50), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    resource: Mapped[Resource] = relationship(back_populates="transitions")


class UnionCatalog(Base):
    """A union's own open resource directory (资源开放目录). At most one per union organisation.

    `parent_id` set means the catalog follows its parent's: each section copied from the parent keeps
    `source_section_id`, shows the parent section's items live, and can pin, hide and add items of its own.
    """

    __tablename__ = "union_catalogs"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("union_catalogs.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")  # plain text
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(lazy="joined")
    parent: Mapped[UnionCatalog | None] = relationship(remote_side="UnionCatalog.id")
    sections: Mapped[list[CatalogSection]] = relationship(back_populates="catalog", cascade="all, delete-orphan",
                                                          order_by="CatalogSection.position")


class CatalogSection(Ordered, Base):
    """An ordered menu item of a union catalog, holding resources and external links."""

    __tablename__ = "catalog_sections"
    __table_args__ = (Index("ix_catalog_sections_catalog_position", "catalog_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("union_catalogs.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    # The parent catalog's section this one follows (its items show through); NULL = a section of our own.
    source_section_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_sections.id", ondelete="SET NULL"), index=True)

    catalog: Mapped[UnionCatalog] = relationship(back_populates="sections")
    items: Mapped[list[CatalogItem]] = relationship(back_populates="section", cascade="all, delete-orphan",
                                                    order_by="CatalogItem.position")


class CatalogItem(Ordered, Base):
    """A resource or an external link in a section; or, with `hidden`, a tombstone hiding an inherited entry.

    An entry is identified across levels by its resource id, or for links by the URL.
    """

    __tablename__ = "catalog_items"
    __table_args__ = (
        Index("ix_catalog_items_section_position", "section_id", "position"),
        CheckConstraint("resource_id IS NOT NULL OR link_url <> ''", name="resource_or_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("catalog_sections.id", ondelete="CASCADE"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    link_title: Mapped[str] = mapped_column(String(200), default="")
    link_url: Mapped[str] = mapped_column(String(500), default="")
    pinned: Mapped[bool] = mapped_column(default=False)  # shown before everything inherited
    hidden: Mapped[bool] = mapped_column(default=False)  # hides the inherited entry with the same key
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    section: Mapped[CatalogSection] = relationship(back_populates="items")
    resource: Mapped[Resource | None] = relationship()

    @property
    def key(self) -> str:
        return f"r{self.resource_id}" if self.resource_id else "u" + self.link_url


__all__ = [
    "Audience", "CatalogItem", "CatalogSection", "Category", "Industry", "Lesson", "LessonType", "Resource",
    "ResourceAudience", "ResourceCategory", "ResourceIndustry", "ResourceKind", "ResourceStatus", "ResourceTag",
    "ResourceTeacher", "ResourceTransition", "Tag", "UnionCatalog", "Unit",
]
