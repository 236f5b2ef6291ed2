"""Search fixtures: a backend over the written corpus (built once per module, in a temporary folder), and
the menu seeded wherever an app exists (resources are made through the catalog's services)."""

from __future__ import annotations

import pytest

from app import demo
from app.accounts import organisations
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from catalog import categories
from catalog import demo as catalog_demo
from media import demo as media_demo
from search import synonyms
from search.engine_whoosh import WhooshBackend
from tests.search import corpus


@pytest.fixture(scope="module")
def corpus_backend(tmp_path_factory) -> WhooshBackend:
    backend = WhooshBackend(tmp_path_factory.mktemp("search") / "index")
    backend.rebuild(corpus.documents())
    return backend


@pytest.fixture(autouse=True)
def _seeded_menu(request):
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            categories.seed_menu(_db.session)
            _db.session.commit()


def load_demo_catalog(session) -> None:
    """The organisations, catalog and synonyms of app.demo.load (what `make run` ships), without the other
    domains' demo data; committed, so the outbox holds an event per resource."""
    organisations.seed_zhejiang(session)
    for code, name, parent in demo.INSTITUTIONS:
        organisations.create_organisation(session, SYSTEM, parent_code=parent, code=code, name=name,
                                          kind=OrgKind.institution)
    catalog_demo.load(session, ready_media=media_demo.ready_clips)  # video lessons need their videos first
    synonyms.seed(session)
    session.commit()
