"""Migrations: one head, a full round trip, and models that match what the migrations build."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db


def _fresh_app(tmp_path):
    from tests.conftest import TEST_DATABASE_URL, _reset_postgres

    if TEST_DATABASE_URL:
        _reset_postgres(TEST_DATABASE_URL)
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "m"), "SECRET_KEY": "x",
                       "DATABASE_URL": TEST_DATABASE_URL})


def test_single_head(tmp_path):
    app = _fresh_app(tmp_path)
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1


def test_upgrade_downgrade_upgrade_and_models_match(tmp_path):
    app = _fresh_app(tmp_path)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        db.engine.dispose()
