"""A published resource with everything its page shows, read for the page's shared part (catalog/views.py) in
ten statements run on the driver's cursor (app.db.DirectStatement) and attached to the session as if loaded.

Why: that part is made again for each resource after any catalog change (and on a resource's first visit), and
`service.loaded_resource` (a query and nine `selectinload`s) spent most of its 7 ms in SQLAlchemy's work per
statement, which made a first visit cost six times a kept one (bench/README.md, 2026-12-03, resource page).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import BindParameter, bindparam, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app import kept_rows
from app.accounts.models import Organisation
from app.db import DirectStatement
from catalog.models import (
    Category,
    Lesson,
    Resource,
    ResourceAudience,
    ResourceCategory,
    ResourceCoauthor,
    ResourceIndustry,
    ResourceTag,
    ResourceTeacher,
    Tag,
    Unit,
)
from catalog.service import loaded_resource

# the resource's collections its page shows, each read in its relationship's order
COLLECTIONS = ("categories", "teachers", "coauthors", "tags", "industries", "audiences", "units", "lessons")


def _columns(model: type) -> list[Any]:
    """A model's mapped columns, labelled with their attribute names (what `kept_rows.attach` takes)."""
    attrs: Any = inspect(model).column_attrs
    return [attr.columns[0].label(attr.key) for attr in attrs]


@functools.cache
def _statements() -> dict[str, tuple[type, DirectStatement]]:
    rid: BindParameter[int] = bindparam("rid")
    return {name: (model, DirectStatement(statement)) for name, model, statement in (
        ("resource", Resource, select(*_columns(Resource)).where(Resource.id == rid)),
        ("provider", Organisation, select(*_columns(Organisation))
         .join(Resource, Resource.provider_id == Organisation.id).where(Resource.id == rid)),
        ("categories", Category, select(*_columns(Category)).join(ResourceCategory).where(
            ResourceCategory.resource_id == rid).order_by(Category.position)),
        ("teachers", ResourceTeacher, select(*_columns(ResourceTeacher)).where(ResourceTeacher.resource_id == rid)
         .order_by(ResourceTeacher.position)),
        ("coauthors", ResourceCoauthor, select(*_columns(ResourceCoauthor))
         .where(ResourceCoauthor.resource_id == rid).order_by(ResourceCoauthor.id)),
        ("tags", Tag, select(*_columns(Tag)).join(ResourceTag).where(ResourceTag.resource_id == rid)
         .order_by(Tag.name)),
        ("industries", ResourceIndustry, select(*_columns(ResourceIndustry)).where(
            ResourceIndustry.resource_id == rid).order_by(ResourceIndustry.industry)),
        ("audiences", ResourceAudience, select(*_columns(ResourceAudience)).where(
            ResourceAudience.resource_id == rid).order_by(ResourceAudience.audience)),
        ("units", Unit, select(*_columns(Unit)).where(Unit.resource_id == rid).order_by(Unit.position)),
        ("lessons", Lesson, select(*_columns(Lesson)).where(Lesson.resource_id == rid).order_by(Lesson.position)),
    )}


def page_resource(session: Session, resource_id: int) -> Resource | None:
    """The resource with its provider and every collection of COLLECTIONS set, as `service.loaded_resource` gives
    it; that very function when the resource is already in the session (its loaded state is left as it is)."""
    if session.identity_map.get(identity_key(Resource, resource_id)) is not None:
        return loaded_resource(session, resource_id)
    statements, connection, params = _statements(), session.connection(), {"rid": resource_id}

    def rows(name: str) -> list[Any]:
        model, statement = statements[name]
        return [kept_rows.attach(session, model, row._asdict()) for row in statement.rows(connection, params)]

    found = rows("resource")
    if not found:
        return None
    resource: Resource = found[0]
    set_committed_value(resource, "provider", rows("provider")[0])
    for name in COLLECTIONS:
        set_committed_value(resource, name, rows(name))
    return resource
