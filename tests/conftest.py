"""Fixtures: a fresh app on its own data folder under tmp_path, its database, a test client,
a CLI runner, and helpers to post forms with a real CSRF token and to log in as each role.

On SQLite each test starts from a copy of one seeded database per test process; set QIUXUE_TEST_DATABASE_URL
to run the same tests on PostgreSQL (each test gets emptied tables, seeded again).
"""

from __future__ import annotations

import functools
import gc
import inspect
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db as _db
from catalog import categories
from search import synonyms
from tests import factories, shared_compiles

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (test_gw0, ...), created on first use,
    since every test resets the schema of the database it runs on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine, text

    base, _sep, name = url.rpartition("/")
    own = f"{name.partition('?')[0]}_{worker}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own}).scalar():
            conn.execute(text(f'CREATE DATABASE "{own}"'))
    engine.dispose()
    return f"{base}/{own}"


TEST_DATABASE_URL = _worker_database(os.environ.get("QIUXUE_TEST_DATABASE_URL", ""))


def shared_file(name: str) -> Path:
    """A file of ../shared/data, or a clean skip when this checkout has none."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"../shared/data/{name} is not present")
    return path


@functools.cache
def _admin_engine(url: str):
    """One connection pool per test process for emptying the database between tests."""
    from sqlalchemy import create_engine

    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _reset_postgres(url: str) -> None:
    from sqlalchemy import text

    with _admin_engine(url).begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


def _empty_postgres(url: str) -> bool:
    """Empty every table of ours when the schema is already ours (much faster than dropping and
    creating some sixty tables for each test); otherwise (first test of a process, or after a migrations test
    left its own schema) start from a fresh schema. True when the tables are there (emptied)."""
    from sqlalchemy import text

    ours = list(_db.metadata.tables)  # every model is registered once the first app of this process is made
    with _admin_engine(url).begin() as conn:
        present = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
        if ours and present == set(ours):
            # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE of sixty tables (new files for each)
            # took 0.13 s per test; all the statements go in one round trip
            sequences = conn.execute(text("SELECT relname FROM pg_class WHERE relkind = 'S' "
                                          "AND relnamespace = 'public'::regnamespace")).scalars().all()
            statements = [f'DELETE FROM "{table.name}"'  # noqa: S608 - our own table names
                          for table in reversed(_db.metadata.sorted_tables)]
            statements += [f'ALTER SEQUENCE "{name}" RESTART' for name in sequences]
            # the funds ledger's trigger refuses DELETE (programme/money/models.py); triggers sleep for the purge
            statements.insert(0, "SET LOCAL session_replication_role = replica")
            conn.connection.driver_connection.execute("; ".join(statements))  # no parameters: one simple query
            return True
    _reset_postgres(url)
    return False


# Per-test app creation is most of a short test's time (measured in the commits that added these): the apps of a test
# process share their compiled templates, parsed URL rules and URL builders. Each test still gets its own app,
# database and files.
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": shared_compiles.SharedBytecodeCache()}
shared_compiles.share_compiled_routes()
shared_compiles.share_parsed_rules()

# The cyclic garbage collector took ~20% of a test process's CPU at Python's thresholds (700, 10, 10), mostly in
# its full passes: every test leaves an app's worth of cycles (app, engine, blueprints), and each full pass walks
# every object the process keeps (imported modules, the shared compiles above). Collected less often, the same
# garbage goes all the same (tests/credits: 17.7 s -> 15.6 s of CPU, the collector's 3.8 s -> 1.2 s; peak memory
# alike on tests/learning, bench/README.md "Test suite time").
gc.set_threshold(10_000, 20, 20)

# No wall-clock limit on a Hypothesis example (its default deadline is 200 ms): on a 2-core runner shared by the
# other test process, a pure rule's first example took 6.4 s once (a slow machine is not a wrong answer).
hypothesis.settings.register_profile("qiuxue", deadline=None)
hypothesis.settings.load_profile("qiuxue")

FAST_HASH = "pbkdf2:sha256:1000"  # scrypt (the site's default) costs 0.15 s per user created and per login


def _config(data_dir: Path) -> dict:
    return {"TESTING": True, "DATA_DIR": str(data_dir), "SECRET_KEY": "test-secret",
            "DATABASE_URL": TEST_DATABASE_URL, "PAGE_CACHE_SECONDS": 0,
            "CATALOG_COUNT_CACHE_SECONDS": 0, "PASSWORD_HASH": FAST_HASH,
            # a listening thread and connection per app would outlive its test (tests that need one turn it on)
            "SHARED_PARTS_LISTEN": False}


def _seed(app: Flask, create: bool = True) -> None:
    with app.app_context():
        if create:
            _db.create_all()
        factories.seed_orgs()
        categories.seed_menu(_db.session)
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """On SQLite every test starts from a copy of one database made per test process (tables, unions, menu):
    copying a file is much cheaper than creating some sixty tables and seeding them for each test."""
    data_dir = tmp_path_factory.mktemp("template")
    _seed(create_app(_config(data_dir)))
    return data_dir / "app.db"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, request) -> Path:
    """The tests marked `demo` start from one load of the whole demo per test process (`qiuxue demo load`: half a
    minute of CPU): a data folder holding its media files and, on SQLite, its database; on PostgreSQL the rows are
    kept in the schema demo_snapshot and copied back into the emptied tables for each test (_restore_demo)."""
    data_dir = tmp_path_factory.mktemp("demo")
    if TEST_DATABASE_URL:
        emptied = _empty_postgres(TEST_DATABASE_URL)
        app = create_app(_config(data_dir))
        _seed(app, create=not emptied)
        _load_demo(app)
        _snapshot_demo(TEST_DATABASE_URL)
    else:
        shutil.copyfile(request.getfixturevalue("sqlite_template"), data_dir / "app.db")
        _load_demo(create_app(_config(data_dir)))
    return data_dir


def _load_demo(app: Flask) -> None:
    from app import demo

    with app.app_context():
        demo.load(_db.session)
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()


DEMO_SNAPSHOT = "demo_snapshot"


def _copy_rows(table, source: str, target: str) -> str:
    columns = ", ".join(f'"{column.name}"' for column in table.columns)
    return (f'INSERT INTO "{target}"."{table.name}" ({columns}) OVERRIDING SYSTEM VALUE '  # noqa: S608 - our names
            f'SELECT {columns} FROM "{source}"."{table.name}"')


def _snapshot_demo(url: str) -> None:
    """Keep the demo's rows (each table of ours copied into the schema demo_snapshot) and where each sequence
    stands (a table of its own there), in the database of this test process."""
    from sqlalchemy import text

    tables = _db.metadata.sorted_tables
    statements = [f'DROP SCHEMA IF EXISTS "{DEMO_SNAPSHOT}" CASCADE', f'CREATE SCHEMA "{DEMO_SNAPSHOT}"']
    statements += [f'CREATE TABLE "{DEMO_SNAPSHOT}"."{t.name}" (LIKE public."{t.name}")' for t in tables]
    statements += [_copy_rows(t, "public", DEMO_SNAPSHOT) for t in tables]
    statements.append('CREATE TABLE demo_snapshot._sequences AS SELECT sequencename AS name, last_value '
                      "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")
    with _admin_engine(url).begin() as conn:
        conn.connection.driver_connection.execute("; ".join(statements))  # no parameters: one simple query
        assert conn.execute(text("SELECT count(*) FROM demo_snapshot.users")).scalar(), "no demo to keep"


def _restore_demo(url: str) -> None:
    """Copy the demo's rows back into the emptied tables (triggers and foreign keys asleep, as when emptying them)
    and set the sequences where the demo left them: one round trip instead of loading the demo again."""
    from sqlalchemy import text

    statements = ["SET LOCAL session_replication_role = replica"]
    statements += [_copy_rows(t, DEMO_SNAPSHOT, "public") for t in _db.metadata.sorted_tables]
    with _admin_engine(url).begin() as conn:
        sequences = conn.execute(text("SELECT name, last_value FROM demo_snapshot._sequences")).all()
        statements += [f"SELECT setval('public.\"{name}\"', {int(value)})" for name, value in sequences]
        conn.connection.driver_connection.execute("; ".join(statements))


@pytest.fixture
def app(tmp_path: Path, request) -> Iterator[Flask]:
    """A new app on its own data folder; with the `demo` marker, its database holds the demo `make run` loads; the
    `app_config` marker's keywords are given to create_app on top of the suite's settings."""
    data_dir = tmp_path / "data"
    given = request.node.get_closest_marker("app_config")
    config = {**_config(data_dir), **(given.kwargs if given else {})}
    demo = request.node.get_closest_marker("demo") is not None
    if demo:
        shutil.copytree(request.getfixturevalue("demo_template"), data_dir)
    elif not TEST_DATABASE_URL:
        data_dir.mkdir()
        shutil.copyfile(request.getfixturevalue("sqlite_template"), data_dir / "app.db")
    else:
        data_dir.mkdir()
    if TEST_DATABASE_URL:
        emptied = _empty_postgres(TEST_DATABASE_URL)
        app = create_app(config)
        if demo:
            if not emptied:
                with app.app_context():
                    _db.create_all()
                    _db.engine.dispose()
            _restore_demo(TEST_DATABASE_URL)
        else:
            _seed(app, create=not emptied)
    else:
        app = create_app(config)
    synonyms.forget()  # the process keeps the synonym table a second: an earlier test's (the demo's) must not leak in
    request_started.connect(_signed_in_afresh, app)
    yield app
    request_started.disconnect(_signed_in_afresh, app)
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _listeners_stopped() -> Iterator[None]:
    """On PostgreSQL an app listens for other hosts' changes (app/parts_listener.py) unless told not to: a test
    that lets one listen stops it. Left running, its thread holds two connections for the rest of the test
    process and probes an engine its test disposed of."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t.name == "kept-parts-listener" and t not in before]
    assert not left, "a listening app was left running: SHARED_PARTS_LISTEN=False, or stop its listener"


def _signed_in_afresh(_sender: Flask, **_extra: object) -> None:
    """Each request finds its user from its own cookies, as in a served process: under the `db` fixture's app
    context every request of a test shares one `g`, where Flask-Login keeps the user it loaded, so another client's
    request (anonymous, someone else's cookie) acted as the last user signed in (a review found tests passing so)."""
    g.pop("_login_user", None)


@pytest.fixture
def db(app: Flask):
    with app.app_context():
        yield _db
        _db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, source: str = "/auth/login") -> str:
    html = client.get(source).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {source}"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict, source: str | None = None, **kw):
    """Post like a browser would: take the CSRF token from the `source` page (the form's own by default)."""
    token = csrf_token(client, source or url)
    return client.post(url, data={"csrf_token": token, **data}, **kw)


class Auth:
    """Log the test client in as a user of a given role (created through the services)."""

    def __init__(self, app: Flask, client: FlaskClient):
        self.app, self.client = app, client

    def login(self, phone: str, password: str = factories.PASSWORD):
        return post_form(self.client, "/auth/login", {"phone": phone, "password": password})

    def as_role(self, role: str, org_code: str | None = None, org_admin: bool = False):
        with self.app.app_context():
            user = factories.user(role=role, org_code=org_code, org_admin=org_admin)
            phone = user.phone
            _db.session.commit()
        response = self.login(phone)
        assert response.status_code == 302, response.get_data(as_text=True)
        return phone

    def logout(self):
        return post_form(self.client, "/auth/logout", {}, source="/me")


@pytest.fixture
def auth(app: Flask, client: FlaskClient) -> Auth:
    return Auth(app, client)


# Tests that never reach a database (pure rules, Hypothesis properties, layout and docs checks, the browser alone)
# are marked no_db when collected, and the PostgreSQL pass leaves them out (`-m "not no_db"`, Makefile): they would
# only run the same code a second time. A test reaches the database through the app fixture (directly or through
# client, db, auth, page...), or by making its own app or starting processes on the test database: a module or
# fixture that says one of DATABASE_WORDS counts as reaching it.
DATABASE_FIXTURES = {"app", "sqlite_template", "demo_template"}
DATABASE_WORDS = ("create_app", "DATABASE_URL", "_config", "hosts", "_template", "_postgres")


@functools.cache
def _says_database_words(path: str) -> bool:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return True
    return any(word in text for word in DATABASE_WORDS)


def _reaches_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    if names & DATABASE_FIXTURES or _says_database_words(str(item.path)):
        return True
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    for name in names:
        for definition in definitions.get(name, ()):
            module = getattr(definition.func, "__module__", "") or ""
            if (module.startswith("tests.") and module != "tests.conftest"
                    and _says_database_words(inspect.getsourcefile(definition.func) or "")):
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if not _reaches_database(item):
            item.add_marker(pytest.mark.no_db)


# Browser fixtures (Chromium through Playwright), shared by tests/e2e and tests/security.
from tests.browser import browser, live_server, login, page, pytest_runtest_makereport  # noqa: E402, F401

# A real S3 server (SeaweedFS) for the object storage tests: tests/app/test_object_storage.py, tests/media/test_s3_*.
from tests.s3_server import s3_app, s3_server  # noqa: E402, F401
