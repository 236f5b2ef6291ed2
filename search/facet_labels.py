"""What the search page shows for a facet value (a kind's code, a category's code, a provider's code): the label
in the visitor's language. Made once per language and catalog change (app/sharedparts.py) rather than on each
results page: the menu and the providers were two queries and every label a translation per page made."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import sharedparts
from app.accounts import organisations
from app.accounts.models import Organisation
from catalog.categories import load_menu
from catalog.labels import AUDIENCE_LABELS, INDUSTRY_LABELS, KIND_LABELS
from catalog.models import Resource, ResourceStatus

Labels = dict[str, dict[str, str]]  # facet name -> value -> label


def _made(session: Session) -> Labels:
    menu = load_menu(session)
    providers = select(Organisation.code, Organisation.name).where(Organisation.id.in_(
        select(Resource.provider_id).where(Resource.status == ResourceStatus.published).distinct()))
    return {
        "kind": {k.value: str(v) for k, v in KIND_LABELS.items()},
        "industry": {k.value: str(v) for k, v in INDUSTRY_LABELS.items()},
        "audience": {k.value: str(v) for k, v in AUDIENCE_LABELS.items()},
        # seeded menu names have their English in the .po; a renamed category shows as typed (as on the menu)
        "category": {code: _(node.name) if node.name else node.name for code, node in menu.by_code.items()},
        "provider": {row.code: row.name for row in session.execute(providers)},
        "credits": {"1": _("有学分"), "0": _("无学分")},
    }


def facet_labels(session: Session, providers: Iterable[str] = ()) -> Labels:
    """Every facet's labels in this request's language, kept until the catalog changes; a provider among
    `providers` that is not kept yet (the index ahead of the database's published rows) is looked up."""
    labels = sharedparts.shared(("search.facet_labels",), lambda: _made(session))
    missing = [code for code in providers if code not in labels["provider"]]
    if missing:
        labels = {**labels, "provider": {**labels["provider"], **organisations.names_by_code(session, missing)}}
    return labels
