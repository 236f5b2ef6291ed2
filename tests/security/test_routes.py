"""Every route, every role: the expected answer for a GET, and CSRF refusal for every POST.

A route missing from these tables fails the test, so nothing new ships unexamined: add its row
(path with sample arguments, then the status for anonymous, worker, institution, enterprise,
county union, city union, province union and admin)."""

import importlib
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import csrf_token

ROLES = [("anonymous", None), ("worker", None), ("institution_staff", None), ("enterprise_staff", None),
         ("union_staff", "330106"), ("union_staff", "330100"), ("union_staff", "330000"), ("admin", None)]



def row(default: int, **overrides: int) -> tuple[int, ...]:
    """A status for every role, with exceptions by role letter: row(403, I=200, D=200)."""
    statuses = [default] * 8
    for letter, status in overrides.items():
        statuses["AWIECTPD".index(letter)] = status
    return tuple(statuses)


# endpoint: (path, statuses). {pub} is a published resource of INST-T1 (under 杭州市), {draft} a draft of it,
# {lesson} a lesson of {pub}, {asset} a media asset of INST-T1. Login-required pages send anonymous visitors to
# the login page (302).
GET = {
    "main.index": ("/", row(200)),
    "main.healthz": ("/healthz", row(200)),
    "ops.readyz": ("/readyz", row(200)),  # app/observability: this host ready for traffic
    "ops.metrics_text": ("/metrics", row(200)),  # the test client's 127.0.0.1 is in METRICS_ALLOW
    "main.security_txt": ("/.well-known/security.txt", row(200)),
    "main.learning": ("/learning", row(200, A=302)),  # 我的学习 (learning.views.mine_page)
    "auth.login": ("/auth/login", row(302, A=200)),
    "auth.register": ("/auth/register", row(302, A=200)),
    "i18n.switch": ("/lang/en?next=/", row(302)),
    "me.home": ("/me", row(200, A=302)),
    "me.profile": ("/me/profile", row(200, A=302)),
    "me.password": ("/me/password", row(200, A=302)),
    # account continuity (issue 18): reset and the lost-phone request are open to all; staff pages by role
    "auth.reset": ("/auth/reset", row(200)),
    "auth.phone_lost": ("/auth/phone-lost", row(200)),
    "me.phone": ("/me/phone", row(200, A=302)),
    "me.phone_requests": ("/me/phone-requests", row(403, A=302, C=200, T=200, P=200, D=200)),
    "me.sms_log": ("/me/sms", row(403, A=302, D=200)),
    "me.merges": ("/me/merges", row(403, A=302, D=200)),
    "me.merge_record": ("/me/merges/999999", row(403, A=302, D=404)),
    "orgs.mine": ("/orgs/mine", row(302, W=200, D=200)),  # staff of one org go straight to it
    "orgs.show": ("/orgs/330106", row(200)),
    "static": ("/static/css/site.css", row(200)),
    "assets.manifest": ("/manifest.webmanifest", row(200)),  # app/assets.py: the installable site
    "assets.service_worker": ("/sw.js", row(200)),
    "assets.offline": ("/offline", row(200)),
    # catalog: public pages
    "catalog.index": ("/catalog/", row(200)),
    "catalog.all_resources": ("/catalog/all", row(200)),
    "catalog.category": ("/catalog/menu/skills", row(200)),
    "catalog.province": ("/catalog/province", row(200)),
    "catalog.resource": ("/catalog/r/{pub}", row(200)),
    "catalog.lesson": ("/catalog/r/{pub}/lessons/{lesson}", row(200)),
    "catalog.union_catalog": ("/catalog/u/330100", row(200)),
    "catalog.union_csv": ("/catalog/u/330100/catalog.csv", row(200)),
    "catalog.union_xlsx": ("/catalog/u/330100/catalog.xlsx", row(200)),
    "catalog.union_feed": ("/catalog/u/330100/feed.atom", row(200)),
    "catalog.cover": ("/catalog/covers/nothing.webp", row(404)),
    "catalog_api.resources": ("/api/v1/resources", row(200)),
    "catalog_api.resource": ("/api/v1/resources/{pub}", row(200)),
    "catalog_api.catalog": ("/api/v1/catalogs/330100", row(200)),
    "catalog_oai.oai_pmh": ("/oai?verb=Identify", row(200)),
    # catalog: unpublished work is seen by its provider and the unions above it only
    "catalog.history": ("/catalog/r/{draft}/history", row(404, I=200, T=200, P=200, D=200)),
    # staff pages list only what the user may act on, so a worker sees an empty page rather than a refusal
    "catalog.manage": ("/catalog/manage", row(200, A=302)),
    "catalog.create": ("/catalog/manage/new?org=INST-T1", row(403, A=302, I=200, D=200)),
    "catalog.import_page": ("/catalog/manage/import", row(403, A=302, I=200, E=200, C=200, T=200, P=200)),
    "catalog.edit": ("/catalog/manage/{draft}", row(403, A=302, I=200, D=200)),
    "catalog.edit_lessons": ("/catalog/manage/{draft}/lessons", row(403, A=302, I=200, D=200)),
    "catalog.review_queue": ("/catalog/review", row(200, A=302)),
    "catalog.union_edit": ("/catalog/u/330100/edit", row(403, A=302, T=200, P=200, D=200)),
    "catalog.admin_categories": ("/catalog/admin/categories", row(403, A=302, D=200)),
    # search
    "search.page": ("/search?q=电工", row(200)),
    "search_api.api_search": ("/api/v1/search?q=电工", row(200)),
    "search_api.api_suggest": ("/api/v1/search/suggest?q=dian", row(200)),
    "search.mine": ("/search/mine", row(200, A=302)),
    "search.synonym_admin": ("/search/synonyms", row(403, A=302, D=200)),
    # media: uploads and unpublished media belong to the uploading organisation
    "media.upload_page": ("/media/upload", row(403, A=302, I=200, E=200, C=200, T=200, P=200)),
    # someone else's asset is "not found"; the city and province unions above the institution oversee it
    "media.failed": ("/media/failed", row(200, A=302, W=403)),  # failed transcodes, to re-run in bulk
    "media.asset_page": ("/media/assets/{asset}", row(404, A=302, I=200, T=200, P=200, D=200)),
    "media_api.status": ("/api/v1/media/{asset}", row(404, I=200, T=200, P=200, D=200)),
    "media_files.public": ("/media/{asset}/master.m3u8", row(404)),
    "media_files.signed": ("/media/s/forged/{asset}/master.m3u8", row(403)),
}
# POST endpoints that take no CSRF token, and why.
CSRF_EXEMPT = {
    "programme_api.check_eligibility": "pure computation over the request body; reads no session, changes nothing",
    "catalog_oai.oai_pmh": "OAI-PMH harvesters POST form-encoded queries; the protocol only reads",
    "media_tus.create": "tus takes raw bytes; guarded by Tus-Resumable and an Origin check (media/tus_views.py)",
    "media_tus.append": "as media_tus.create",
    "media_tus.terminate": "as media_tus.create",
    "media_tus.upload": "as media_tus.create",
    "media_tus.options": "as media_tus.create",
}
POST_PATHS = {"orgs.show": "/orgs/330106"}

# Each later domain keeps its rows in tests/security/routes_<domain>.py: GET, CSRF_EXEMPT and POST_PATHS dicts
# (same formats as above) and optionally `extra_samples(app, base) -> dict` adding {placeholders} of its own.
DOMAIN_TABLES = [importlib.import_module(f"tests.security.{path.stem}")
                 for path in sorted(Path(__file__).parent.glob("routes_*.py"))]
for _table in DOMAIN_TABLES:
    GET.update(getattr(_table, "GET", {}))
    CSRF_EXEMPT.update(getattr(_table, "CSRF_EXEMPT", {}))
    POST_PATHS.update(getattr(_table, "POST_PATHS", {}))


@pytest.fixture
def samples(app):
    """One published resource with a lesson, one draft, and one media asset, all of INST-T1."""
    from app.accounts import organisations
    from app.accounts.policy import SYSTEM
    from app.extensions import db
    from catalog import union_catalogs
    from media.models import MediaAsset
    from tests.catalog.helpers import make

    with app.app_context():
        pub = make(publish=True)
        draft = make(title="草稿")
        catalog = union_catalogs.create_catalog(db.session, SYSTEM, organisations.get_by_code(db.session, "330100"),
                                                inherit=False)
        section = union_catalogs.add_section(db.session, SYSTEM, catalog, "电工专区")
        union_catalogs.add_resource(db.session, SYSTEM, catalog, section.id, pub.id)
        asset = MediaAsset(org_id=organisations.get_by_code(db.session, "INST-T1").id, title="a.mp4")
        db.session.add(asset)
        db.session.commit()
        base = {"pub": pub.id, "draft": draft.id, "lesson": pub.lessons[0].id, "asset": asset.id}
        for table in DOMAIN_TABLES:
            if hasattr(table, "extra_samples"):
                base.update(table.extra_samples(app, base))
        return base


def _routes(app):
    return {rule.endpoint: rule for rule in app.url_map.iter_rules()}


def _sample_path(rule: str, samples: dict) -> str:
    """Fill a rule's arguments with sample values: resource ids with the draft, others as named."""
    import re

    values = {"resource_id": samples["draft"], "asset_id": samples["asset"], "lesson_id": samples["lesson"],
              "step": "submit", "code": "330100", "request_id": 999999, "merge_id": 999999,
              **samples.get("rule_values", {})}
    return re.sub(r"<(?:[^:>]+:)?(\w+)(?:\([^)]*\))?>", lambda m: str(values[m.group(1)]), rule)


def test_every_get_route_is_in_the_table(app):
    gets = {e for e, rule in _routes(app).items() if "GET" in rule.methods}
    assert gets - set(GET) == set(), "add these routes to GET in tests/security/test_routes.py"


@pytest.mark.parametrize(("role", "org"), ROLES, ids=[f"{r}@{o}" for r, o in ROLES])
def test_get_matrix(app, client, auth, samples, role, org):
    column = ROLES.index((role, org))
    if role != "anonymous":
        auth.as_role(role, org)
    wrong = {}
    for endpoint, (path, expected) in GET.items():
        path = path.format(**samples)
        with client.get(path) as response:
            status = response.status_code
        if status != expected[column]:
            wrong[endpoint] = (path, status, expected[column])
    assert wrong == {}


def test_no_personal_data_on_any_public_page(app, client, samples):
    """Phones, real names and ID numbers of every person in the sample data (the domain tables add applicants,
    enquirers, learners...) appear on no page an anonymous visitor can open."""
    from app.accounts.models import User, WorkerProfile
    from app.extensions import db

    with app.app_context():
        worker = factories.user("worker", name="欧*华")
        db.session.add(WorkerProfile(user_id=worker.id, real_name="欧阳明华", id_number="11010519491231002X"))
        db.session.commit()
        secrets = {u.phone for u in db.session.query(User)} | {
            value for p in db.session.query(WorkerProfile) for value in (p.real_name, p.id_number) if value}
    leaks = {}
    for endpoint, (path, expected) in GET.items():
        if expected[0] != 200:
            continue
        with client.get(path.format(**samples)) as response:
            body = response.get_data().decode("utf-8", "replace")  # xlsx is zipped: its text is checked by export tests
        if found := sorted(s for s in secrets if s in body):
            leaks[endpoint] = found
    assert leaks == {}


def test_every_post_route_refuses_a_missing_or_forged_csrf_token(app, client, auth, samples):
    auth.as_role("admin")
    posts = {e: rule for e, rule in _routes(app).items()
             if rule.methods & {"POST", "PUT", "PATCH", "DELETE"} and e not in CSRF_EXEMPT}
    assert posts, "no POST routes found"
    for endpoint, rule in posts.items():
        path = POST_PATHS.get(endpoint) or _sample_path(rule.rule, samples)
        method = next(m for m in ("POST", "PUT", "PATCH", "DELETE") if m in rule.methods)
        for token in (None, "forged-token"):
            data = {"csrf_token": token} if token else {}
            response = client.open(path, method=method, data=data)
            assert response.status_code == 400, (endpoint, token, response.status_code)
            assert "页面已过期" in response.get_data(as_text=True), endpoint
    # and with a real token the same request gets past CSRF (the check is not just refusing everything)
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/me")}).status_code == 302
