"""Migrations: one head, a full round trip, and models that match what the migrations build."""

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from app import demo
from app.accounts.models import User
from app.extensions import db
from catalog.models import Resource
from learning.models import Enrolment
from tests.app import migration_data
from tests.conftest import Auth
from tests.migrating import fresh_app


def test_single_head(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1


def test_upgrade_downgrade_upgrade_and_models_match(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        db.engine.dispose()


# The demo database as `qiuxue demo load` made it at this revision (tests/app/data/demo_at_0014.json, written with
# tests.app.migration_data.dump and never regenerated: it stands for the sites already running this revision).
FIXED_REVISION = "0014_media_content_hash"
DEMO_AT_FIXED = Path(__file__).parent / "data" / "demo_at_0014.json"
# Columns a later migration drops or rewrites on purpose ({table: {column, ...}}), left out of the comparison.
# 0029 keeps certificate numbers as they are compared (letters and digits only); 0034 names the sending department
# in a claim's key when it rests on a certificate record
CHANGED_BY_LATER_MIGRATIONS: dict[str, set[str]] = {"credit_recognitions": {"certificate_no"},
                                                    "programme_subsidy_claims": {"result_key"}}


def _same(kept: object, now: object) -> bool:
    """Equal, numbers compared by value: a NUMERIC column reads back as a float on SQLite, as digits on
    PostgreSQL (migration_data.plain)."""
    if kept == now:
        return True
    plain = (int, float, str)
    if isinstance(kept, plain) and isinstance(now, plain) and not (isinstance(kept, str) and isinstance(now, str)):
        try:
            return Decimal(str(kept)) == Decimal(str(now))
        except InvalidOperation:
            return False
    return False


def test_upgrading_a_demo_database_from_0014_keeps_every_row(tmp_path):
    """Migrations leave existing databases intact (issue 19): the demo rows of a 0014 database survive `upgrade`
    to today's head unchanged, and the demo accounts sign in and see their learning and credits."""
    fixture = json.loads(DEMO_AT_FIXED.read_text(encoding="utf-8"))
    assert fixture["revision"] == FIXED_REVISION
    kept = fixture["tables"]
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision=FIXED_REVISION)
        with db.engine.begin() as conn:
            migration_data.load(conn, kept)
        upgrade()
        with db.engine.connect() as conn:
            now = migration_data.dump(conn)
        db.engine.dispose()
    for name, table in kept.items():
        assert name in now, f"table {name} is gone or empty"
        columns = [c for c in table["columns"] if c not in CHANGED_BY_LATER_MIGRATIONS.get(name, set())]
        now_rows = [dict(zip(now[name]["columns"], row, strict=True)) for row in now[name]["rows"]]
        by_id = {r["id"]: r for r in now_rows} if "id" in now[name]["columns"] else None
        for row in table["rows"]:
            before = dict(zip(table["columns"], row, strict=True))
            candidates = [by_id.get(before["id"])] if by_id is not None and "id" in before else now_rows
            assert any(r is not None and all(c in r and _same(before[c], r[c]) for c in columns)
                       for r in candidates), f"{name}: row {before} changed or lost"
    numbers = now["credit_recognitions"]
    assert [row[numbers["columns"].index("certificate_no")] for row in numbers["rows"]] == ["DEMO3301000123"]  # 0029
    claims, sender = now["programme_subsidy_claims"], kept["exchange_batches"]["rows"][0][2]
    assert [row[claims["columns"].index("result_key")] for row in claims["rows"]] == [
        f"certificate:{sender}:S0000330000202600001"]  # 0034: the HR department that sent the record
    _funds_ledger_opens_with_the_quota_table(app)
    _demo_accounts_still_work(app)


def _funds_ledger_opens_with_the_quota_table(app):
    """0023 gives years opened before it their opening entries: each union holds on the ledger what the quota table
    says it kept, less the subsidies it paid."""
    from sqlalchemy import func

    from programme.admissions.models import Quota
    from programme.money import funds
    from programme.money.models import PaymentBatch, SubsidyPayment

    with app.app_context():
        quotas = db.session.scalars(select(Quota).where(Quota.budget_yuan > 0)).all()
        assert quotas
        for quota in quotas:
            paid = db.session.scalar(select(func.coalesce(func.sum(SubsidyPayment.amount), 0)).join(PaymentBatch)
                                     .where(PaymentBatch.plan_id == quota.plan_id,
                                            PaymentBatch.org_id == quota.org_id))
            assert funds.balance(db.session, quota.plan_id, quota.org_id) == (
                quota.budget_yuan - quota.budget_handed_out - paid) * 100
        db.session.rollback()


def _demo_accounts_still_work(app):
    client = app.test_client()
    auth = Auth(app, client)
    for phone, _spec in demo.ACCOUNTS:
        assert auth.login(phone, demo.DEMO_PASSWORD).status_code == 302, phone
        assert client.get("/").status_code == 200
        auth.logout()
    auth.login("13900000007", demo.DEMO_PASSWORD)
    with app.app_context():
        worker = db.session.scalar(select(User).where(User.phone == "13900000007"))
        enrolled = db.session.scalars(select(Resource).join(Enrolment, Enrolment.resource_id == Resource.id)
                                      .where(Enrolment.user_id == worker.id).order_by(Resource.id)).all()
        titles = [resource.title for resource in enrolled]
        first_id = enrolled[0].id
    assert len(titles) == 3
    mine = client.get("/learning").get_data(as_text=True)
    assert all(title in mine for title in titles)
    assert titles[0] in client.get(f"/catalog/r/{first_id}").get_data(as_text=True)
    assert client.get("/credits/").status_code == 200
    assert "电工职业技能等级证书（高级工）" in client.get("/credits/recognition").get_data(as_text=True)
    pathways = client.get("/credits/pathways").get_data(as_text=True)
    assert "机电一体化技术（专科）" in pathways and "电工（高级工）技能提升路径" in pathways
    with app.app_context():
        db.engine.dispose()  # this app's pooled connections, before the next test resets the database
