"""A fuzz pass over every route (issue 17): random, boundary and hostile values in every form, JSON body, query
string and path argument, sent by an anonymous visitor, a worker enrolled in a published resource, staff of
the institution that provides it, and an administrator, each with a valid CSRF token.

Two things must hold for every request: no server error (status < 500, no exception escaping a view), and a
refused request (4xx) changes nothing: every table's rows and the files under the data folder are the same
after it as before. Fields come from the site's own forms (harvested from every page of the route table
tests/security/test_routes.py, with their default values, so one hostile field among valid ones gets past the
first check) and from the names each view reads. Draws are derandomized: CI sees the same requests each run.

A server error inside a domain module whose fix belongs to another change is listed in KNOWN_500 with its
reason; those routes are still fuzzed and reported, and the test is marked xfail while any remains."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from werkzeug.routing import IntegerConverter

from tests import factories
from tests.conftest import Auth, csrf_token
from tests.security import fuzz_inputs as fz
from tests.security.test_routes import GET, ROLES, samples  # noqa: F401 - samples is a fixture

EXAMPLES = 15  # per route and method: some two thousand requests in all
# endpoint -> why its server error is not fixed here (owner, cause); the test xfails while one is seen
KNOWN_500: dict[str, str] = {}
# endpoint -> a 5xx status that is its answer, not a server error: /readyz says 503 while this host is not ready
# (the samples' changes are not all in the search index here)
ANSWERS_5XX = {"ops.readyz": 503}
# refused requests that write by design
RECORDS_REFUSALS = {"login_failures"}  # a failed login is counted (app/accounts: the login limit)
# rows that record a refusal on purpose, by table: (column, value) — every call to the departments' API, refused
# ones included, is audited (programme/sharing/guard.py)
RECORDED_ROWS = {"audit_entries": ("action", "exchange_api.call")}
SKIP = {"static": "files of the repository, no input", "media_files.public": "serves files; only its path is input"}
ANONYMOUS_ONLY = {"auth.logout", "auth.login", "auth.register"}  # would end the other roles' sessions
TUS_HEADERS = ("Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata", "Upload-Defer-Length")
ROLE_ORDER = ("admin", "institution_staff", "worker", "anonymous")
INT_ARGUMENTS = ["0", "1", str(fz.INT64 - 1), str(fz.INT64), "99999999999999999999", "0000000000000000000001"]


@dataclass
class Site:
    app: object
    clients: dict[str, tuple[object, str]]  # role -> (test client, its CSRF token)
    path_values: dict[str, str]
    samples: dict
    forms: dict[str, fz.Form] = field(default_factory=dict)  # endpoint -> fields of the forms posting to it
    names: dict[str, set[str]] = field(default_factory=dict)  # endpoint -> names its view and forms use
    failures: dict[str, list[str]] = field(default_factory=dict)
    statuses: dict[str, Counter] = field(default_factory=dict)  # endpoint -> how often each status came
    json_bodies: dict[str, dict] = field(default_factory=dict)  # endpoint -> a valid body, to spoil a part of
    # the fingerprint taken after a refused write that changed nothing: the state still stands so, and it is the
    # next write's "before" (half the fingerprints, each a read of every table, are not taken twice)
    unchanged: tuple[str, frozenset] | None = None
    # SQLite: a connection of the test's own that only asks whether anything was committed since the rows were last
    # digested (PRAGMA data_version), and that digest with the version it was taken at
    watch: sqlite3.Connection | None = None
    rows: tuple[int, str] | None = None

    def fail(self, endpoint: str, line: str) -> None:
        self.failures.setdefault(endpoint, []).append(line)


def _login(app, role: str, org: str | None = None, enrol_in: int | None = None):
    from app.extensions import db
    from learning import enrolment

    client = app.test_client()
    if role == "anonymous":
        return client, csrf_token(client, "/auth/login")
    with app.app_context():
        user = factories.user(role=role, org_code=org)
        if enrol_in:
            enrolment.enrol(db.session, user, enrol_in)
        phone = user.phone
        db.session.commit()
    assert Auth(app, client).login(phone).status_code == 302
    return client, csrf_token(client, "/me")


def _harvest(site: Site) -> None:
    """The forms on every page of the route table, as each role sees them, by the endpoint they post to."""
    adapter = site.app.url_map.bind("localhost")
    for role, (client, _token) in site.clients.items():
        column = [r for r, _o in ROLES].index(role)
        for path, statuses in GET.values():
            if statuses[column] != 200:
                continue
            page = path.format(**site.samples)
            with client.get(page) as response:
                if response.status_code != 200 or response.mimetype != "text/html":
                    continue
                html = response.get_data(as_text=True)
            for method, action, form in fz.forms_of(html, page):
                try:
                    endpoint, _args = adapter.match(action, method="POST" if method == "post" else "GET")
                except Exception:  # noqa: BLE001, S112 - a form pointing elsewhere (another site, a 404)
                    continue
                known = site.forms.setdefault(endpoint, fz.Form())
                for name, value in form.fields.items():
                    known.fields.setdefault(name, value)
                known.files |= form.files
    for endpoint, view in site.app.view_functions.items():
        form = site.forms.get(endpoint, fz.Form())
        site.names[endpoint] = (fz.names_read_by(view) | set(form.fields) | form.files) - {"csrf_token"}


def _rows_digest(site: Site) -> str:
    """A digest of every row of every table (those recording refusals aside)."""
    from app.extensions import db

    digest = hashlib.sha256()
    tables = [table for table in db.metadata.sorted_tables if table.name not in RECORDS_REFUSALS]
    with site.app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one round trip: a digest of each table's rows, made by the server
            def where(name: str) -> str:
                column, value = RECORDED_ROWS.get(name, (None, None))
                return f" WHERE t.{column} IS DISTINCT FROM '{value}'" if column else ""  # our own constants

            digests = ", ".join(f"(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
                                f'FROM "{table.name}" AS t{where(table.name)})' for table in tables)
            digest.update(repr(conn.execute(text(f"SELECT {digests}")).one()).encode())
        else:
            for table in tables:
                query = select(table)
                if table.name in RECORDED_ROWS:
                    column, value = RECORDED_ROWS[table.name]
                    query = query.where(table.c[column].is_distinct_from(value))
                digest.update(repr(conn.execute(query).all()).encode())
    return digest.hexdigest()


def _sqlite_version(site: Site) -> int | None:
    """SQLite's count of commits made by other connections than the test's own (PRAGMA data_version), or None on
    PostgreSQL. While it stands still nothing was committed, so the rows are those last digested: reading every
    row of some sixty tables after each refused write was most of the write fuzz's time on SQLite."""
    if site.watch is None:
        database = site.app.config["SQLALCHEMY_DATABASE_URI"]
        if not database.startswith("sqlite:///"):
            return None
        site.watch = sqlite3.connect(database.removeprefix("sqlite:///"), isolation_level=None)
    return site.watch.execute("PRAGMA data_version").fetchone()[0]


def _fingerprint(site: Site) -> tuple[str, frozenset]:
    """Every row of every table (those recording refusals aside) and every file under the data folder."""
    version = _sqlite_version(site)  # asked before the rows are read: a commit from now on moves it
    if version is not None and site.rows is not None and site.rows[0] == version:
        rows = site.rows[1]
    else:
        rows = _rows_digest(site)
        site.rows = (version, rows) if version is not None else None
    data = Path(site.app.config["DATA_DIR"])
    files = frozenset((str(p.relative_to(data)), p.stat().st_size) for p in data.rglob("*")
                      if p.is_file() and not p.name.startswith("app.db") and p.relative_to(data).parts[0]
                      not in ("search", "cache"))
    return rows, files


@pytest.fixture
def site(app, samples):  # noqa: F811 - the fixture imported above
    values = {"resource_id": samples["pub"], "asset_id": samples["asset"], "lesson_id": samples["lesson"],
              "step": "submit", "code": "330106", "kind": "resource", "target_id": samples["pub"],
              "year": samples["year"], "offering_id": samples["offering"], "notice_id": samples["notice"],
              "evidence_id": samples["evidence"], "enquiry_id": samples["enquiry"],
              "certificate_id": samples["credit_certificate"], "recognition_id": samples["credit_recognition"],
              "pathway_id": samples["credit_pathway"], "token": samples["credit_token"], "name": "a.webp",
              "rest": "master.m3u8", "signature": "forged", "upload_id": "nothing", "filename": "css/site.css"}
    for name in ("application_id", "claim_id", "enrolment_id", "objection_id", "record_id", "conversion_id"):
        values[name] = "1"
    clients = {"anonymous": _login(app, "anonymous"),
               "worker": _login(app, "worker", enrol_in=samples["pub"]),
               "institution_staff": _login(app, "institution_staff"),
               "admin": _login(app, "admin")}
    staff = clients["institution_staff"][0]
    created = staff.post("/api/v1/uploads/", headers={"Tus-Resumable": "1.0.0", "Upload-Length": "16",
                                                      "Upload-Metadata": "filename YS5tcDQ="})
    assert created.status_code == 201, created.get_data(as_text=True)
    values["upload_id"] = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    built = Site(app, clients, values, samples)
    _harvest(built)
    built.json_bodies = {
        "learning_api.progress": {"lesson_id": samples["lesson"], "position_s": 5, "watched": [[0, 5]],
                                  "client_time": 1_760_000_000_000, "seq": 1},
        "programme_api.check_eligibility": {"level": "zhuanke", "notice_date": "2026-03-01", "profile": {
            "union_member": True, "union_province": "330000", "job_level": "front_line",
            "employer_type": "enterprise", "education": "high_school", "contract_start": "2020-01-01"}},
        "media_api.create": {"upload_url": created.headers["Location"], "lesson_id": samples["lesson"]},
        "media_api.attach": {"lesson_id": samples["lesson"]}}
    yield built
    if built.watch is not None:
        built.watch.close()


def _routes(site: Site, kinds: set[str]):
    """(endpoint, rule, method) to fuzz: 'write' for POST/PUT/PATCH/DELETE, 'read' for GET."""
    for rule in sorted(site.app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIP:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if ("read" if method == "GET" else "write") in kinds:
                yield rule.endpoint, rule, method


def _request(data, site: Site, endpoint: str, rule, method: str):
    """Draw one request: role, path arguments, query string, and a form, JSON or raw body."""
    # the roles reaching furthest first: Hypothesis draws the first choices most often
    first = "worker" if endpoint.startswith("learning") else "institution_staff" if endpoint.startswith(
        "media") else "admin"
    roles = ["anonymous"] if endpoint in ANONYMOUS_ONLY else [first] + [r for r in ROLE_ORDER if r != first]
    role = data.draw(st.sampled_from(roles), label="role")
    names = sorted(site.names.get(endpoint) or {"q"})
    values = {}
    for argument in rule.arguments:
        sample = str(site.path_values.get(argument, "1"))
        is_int = isinstance(rule._converters[argument], IntegerConverter)
        values[argument] = data.draw(st.sampled_from([sample] * 3 + INT_ARGUMENTS) if is_int
                                     else st.one_of(st.just(sample), st.just(sample), fz.hostile_text), label=argument)
    path = fz.fill_path(rule.rule, values)
    query = data.draw(st.dictionaries(st.sampled_from(names), fz.hostile_text, max_size=3), label="query")
    kw: dict = {"query_string": query, "headers": {"X-CSRFToken": site.clients[role][1]}}
    body = None
    if method == "GET":
        pass
    elif endpoint.startswith("media_tus."):
        if data.draw(st.integers(0, 9), label="tus version") < 8:
            kw["headers"]["Tus-Resumable"] = "1.0.0"
        kw["headers"].update(data.draw(st.dictionaries(st.sampled_from(TUS_HEADERS[1:]), st.one_of(
            st.sampled_from(["1.0.0", "filename ZmlsZS5tcDQ=", "filename !!!,filetype"]), fz.hostile_text).map(
            lambda v: v.replace("\r", "").replace("\n", "")), max_size=5), label="headers"))
        kw["headers"]["Content-Type"] = "application/offset+octet-stream"
        kw["headers"]["Origin"] = "http://localhost"
        kw["data"] = body = data.draw(st.binary(max_size=64), label="bytes")
    elif rule.rule.startswith("/api/") or data.draw(st.integers(0, 9), label="json?") == 9:
        choice = data.draw(st.integers(0, 9), label="shape")
        if choice == 9:
            raw = fz.deep_json(data.draw(st.sampled_from([1_000, 100_000]), label="depth"))
        elif endpoint in site.json_bodies and choice < 5:  # a valid body with one part or two spoilt
            body = json.loads(json.dumps(site.json_bodies[endpoint]))
            keys = sorted(set(body) | set(names))
            for key in data.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True), label="keys"):
                body[key] = data.draw(fz.json_values(names), label=key)
            raw = json.dumps(body, ensure_ascii=data.draw(st.booleans(), label="ascii"))
        else:
            body = data.draw(st.dictionaries(st.sampled_from(names), fz.json_values(names), max_size=6)
                             if choice < 7 else fz.json_values(names), label="json")
            raw = json.dumps(body, ensure_ascii=data.draw(st.booleans(), label="ascii"))
        # unescaped lone surrogates become bytes that are not UTF-8, as a broken client would send
        kw["data"], kw["content_type"] = raw.encode("utf-8", "surrogatepass"), "application/json"
        kw["headers"]["Accept"] = "application/json"
    else:
        form = site.forms.get(endpoint, fz.Form())
        body = dict(form.fields)
        for name in data.draw(st.lists(st.sampled_from(names), max_size=4, unique=True), label="changed"):
            body[name] = data.draw(st.one_of(fz.hostile_text, st.lists(fz.hostile_text, min_size=2, max_size=3)),
                                   label=name)
        for name in data.draw(st.lists(st.sampled_from(sorted(body) or ["x"]), max_size=2), label="dropped"):
            body.pop(name, None)
        body["csrf_token"] = site.clients[role][1]
        for name in sorted(form.files):
            if data.draw(st.booleans(), label=f"file {name}"):
                content = data.draw(st.binary(max_size=256), label="file bytes")
                filename = data.draw(st.one_of(st.sampled_from(["a.csv", "a.pdf", "a.xlsx", "a.vtt", "a.srt"]),
                                               fz.hostile_text), label="filename")
                body[name] = (io.BytesIO(content), filename or "x")
        kw["data"] = body
    return role, path, query, body, kw


def _send(site: Site, endpoint: str, rule, method: str, data) -> None:
    role, path, query, body, kw = _request(data, site, endpoint, rule, method)
    client = site.clients[role][0]
    shown = f"{role}: " + fz.describe(method, path, query, body if not isinstance(body, dict) else {
        k: (v if not isinstance(v, tuple) else f"<file {v[1]!r}>") for k, v in body.items() if k != "csrf_token"})
    before = (site.unchanged or _fingerprint(site)) if method != "GET" else None
    site.unchanged = None
    try:
        with client.open(path, method=method, **kw) as response:
            status = response.status_code
    except Exception as error:  # noqa: BLE001 - TESTING lets a view's exception through: that is the 500
        frames = traceback.extract_tb(error.__traceback__)
        ours = [f for f in frames if "/site-packages/" not in f.filename] or frames
        where = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}"
        site.fail(endpoint, f"500 {type(error).__name__}: {str(error)[:160]} at {where} <- {shown}")
        return
    site.statuses.setdefault(endpoint, Counter())[status] += 1
    if status >= 500 and ANSWERS_5XX.get(endpoint) != status:
        site.fail(endpoint, f"{status} <- {shown}")
    elif 400 <= status < 500 and before is not None:
        after = _fingerprint(site)
        if after != before:
            site.fail(endpoint, f"{status} but something was saved <- {shown}")
        else:
            site.unchanged = after


def _fuzzer(site: Site, endpoint: str, rule, method: str):
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data):
        _send(site, endpoint, rule, method, data)

    return one


def _fuzz(site: Site, kinds: set[str]) -> None:
    for endpoint, rule, method in _routes(site, kinds):
        _fuzzer(site, endpoint, rule, method)()
    if os.environ.get("QIUXUE_FUZZ_STATS"):  # what the draws reached, to tune them (run with -s)
        for endpoint, counts in sorted(site.statuses.items()):
            print(endpoint, dict(counts))  # noqa: T201
    unknown = {e: lines for e, lines in site.failures.items() if e not in KNOWN_500}
    report = "\n".join(f"{e}: {len(lines)} failing, e.g. {lines[0]}" for e, lines in sorted(site.failures.items()))
    assert unknown == {}, "server errors or writes on refusal:\n" + report
    if site.failures:
        pytest.xfail("known server errors owned by other changes (KNOWN_500):\n" + report)


def test_no_write_route_answers_500_or_saves_a_refused_request(site):
    _fuzz(site, {"write"})


def test_no_read_route_answers_500(site):
    _fuzz(site, {"read"})


def test_fuzz_fingerprint_sees_a_write(app):
    """The check of "nothing saved" is not blind: a row or a file written between two fingerprints changes it."""
    from app.extensions import db

    site = Site(app, {}, {}, {})
    before = _fingerprint(site)
    with app.app_context():
        factories.user(name="新用户")
        db.session.commit()
    after_row = _fingerprint(site)
    assert after_row != before
    (Path(app.config["DATA_DIR"]) / "evidence.pdf").write_bytes(b"%PDF")
    assert _fingerprint(site) != after_row
    if site.watch is not None:
        site.watch.close()
