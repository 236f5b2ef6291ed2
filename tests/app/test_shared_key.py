"""Every host shares QIUXUE_SECRET_KEY: a deployment on a shared database refuses to start without one."""

import pytest

from app import create_app
from app.config import shared_key_problem

SHARED_DB = "postgresql://nobody@127.0.0.1:1/never_connected"  # the check runs before any connection


def _app(tmp_path, **settings):
    return create_app({"DATA_DIR": str(tmp_path), **settings})


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["media", "worker"], ["search", "worker"]])
def test_a_shared_database_without_a_shared_key_refuses_to_start(tmp_path, command):
    # in the environment too, as an operator sets it: `qiuxue serve` reads it there, as its granian processes will
    env = {"QIUXUE_DATABASE_URL": SHARED_DB, "QIUXUE_DATA_DIR": str(tmp_path)}
    result = _app(tmp_path, DATABASE_URL=SHARED_DB).test_cli_runner().invoke(args=command, env=env)
    assert result.exit_code == 1
    assert "QIUXUE_SECRET_KEY is not set" in result.output and "every host" in result.output


def test_a_shared_key_or_sqlite_is_accepted(tmp_path):
    assert shared_key_problem(_app(tmp_path / "pg", DATABASE_URL=SHARED_DB, SECRET_KEY="shared").config) is None
    sqlite = _app(tmp_path / "sqlite")
    assert shared_key_problem(sqlite.config) is None  # `make run`: one host, its key generated beside the data
    assert sqlite.config["SECRET_KEY"] == (tmp_path / "sqlite" / "secret_key").read_text().strip()


def test_the_key_from_the_environment_counts_as_shared(tmp_path, monkeypatch):
    monkeypatch.setenv("QIUXUE_SECRET_KEY", "from-the-environment")
    app = _app(tmp_path, DATABASE_URL=SHARED_DB)
    assert app.config["SECRET_KEY"] == "from-the-environment" and shared_key_problem(app.config) is None
