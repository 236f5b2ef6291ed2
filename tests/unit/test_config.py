from pathlib import Path

from app import config


def test_defaults_put_sqlite_and_a_generated_secret_in_the_data_folder(tmp_path: Path):
    cfg = config.load({"DATA_DIR": str(tmp_path)}, environ={})
    assert cfg["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'app.db'}"
    secret = (tmp_path / "secret_key").read_text()
    assert cfg["SECRET_KEY"] == secret and len(secret) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0  # readable by the owner only
    # a second start reuses the same key, so sessions survive restarts
    assert config.load({"DATA_DIR": str(tmp_path)}, environ={})["SECRET_KEY"] == secret


def test_environment_overrides_with_types(tmp_path: Path):
    env = {"QIUXUE_DATA_DIR": str(tmp_path), "QIUXUE_LOGIN_MAX_FAILURES": "3", "QIUXUE_HTTPS": "true",
           "DATABASE_URL": "postgres://u@h/db"}
    cfg = config.load(None, environ=env)
    assert cfg["LOGIN_MAX_FAILURES"] == 3
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_every_setting_is_declared_once_with_a_meaning():
    keys = [s.key for s in config.SETTINGS]
    assert len(keys) == len(set(keys))
    assert all(s.meaning for s in config.SETTINGS)
