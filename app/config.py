"""Every configuration key, declared once with its type, default and meaning.

Values come from, in order of precedence: the `test_config` mapping given to `create_app`,
`QIUXUE_<KEY>` environment variables (plus `DATABASE_URL`), then the defaults below.
The README's configuration table is generated from `SETTINGS` (`qiuxue config`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Setting:
    key: str
    type: Callable[[str], Any]
    default: Any
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", str, "instance", "Folder for app.db, the search index, media and the generated secret key."),
    Setting("DATABASE_URL", str, "", "SQLAlchemy URL; empty means SQLite at DATA_DIR/app.db. "
            "Read from DATABASE_URL too (postgresql+psycopg://... for PostgreSQL)."),
    Setting("SECRET_KEY", str, "", "Signs sessions and tokens; empty means generate one into DATA_DIR/secret_key."),
    Setting("DEFAULT_LOCALE", str, "zh_CN", "Language shown when the visitor has not chosen one."),
    Setting("LOCALES", str, "zh_CN,en", "Languages offered by the language switch, comma separated."),
    Setting("LOGIN_MAX_FAILURES", int, 5, "Failed logins for one phone number before it must wait."),
    Setting("LOGIN_WINDOW_MINUTES", int, 15, "Window in which failed logins are counted, and the wait after."),
    Setting("REMEMBER_DAYS", int, 30, "How long the 'remember me' cookie keeps a user logged in."),
    Setting("MAX_CONTENT_LENGTH", int, 16 * 1024 * 1024, "Largest request body in bytes outside resumable uploads."),
    Setting("HTTPS", _bool, False, "Served over HTTPS: mark cookies Secure and send HSTS."),
    Setting("LOG_LEVEL", str, "INFO", "Python logging level for the site."),
)

ENV_PREFIX = "QIUXUE_"


def load(test_config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Resolve every declared setting; unknown keys in test_config are passed through (Flask's own)."""
    environ = os.environ if environ is None else environ
    given = dict(test_config or {})
    config: dict[str, Any] = {}
    for setting in SETTINGS:
        if setting.key in given:
            config[setting.key] = given.pop(setting.key)
        elif ENV_PREFIX + setting.key in environ:
            config[setting.key] = setting.type(environ[ENV_PREFIX + setting.key])
        elif setting.key == "DATABASE_URL" and environ.get("DATABASE_URL"):
            config[setting.key] = environ["DATABASE_URL"]
        else:
            config[setting.key] = setting.default
    config.update(given)

    data_dir = Path(config["DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config["DATA_DIR"] = str(data_dir)
    config["SQLALCHEMY_DATABASE_URI"] = database_url(config["DATABASE_URL"], data_dir)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _secret_key(data_dir)
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("SESSION_COOKIE_SECURE", config["HTTPS"])
    config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    config.setdefault("REMEMBER_COOKIE_SECURE", config["HTTPS"])
    config.setdefault("BABEL_DEFAULT_LOCALE", config["DEFAULT_LOCALE"])
    config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    return config


def database_url(url: str, data_dir: Path) -> str:
    """SQLite under the data folder by default; accept the common postgres:// spellings too."""
    if not url:
        return f"sqlite:///{data_dir / 'app.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _secret_key(data_dir: Path) -> str:
    """Generated once per installation and kept beside the data, never in the repository."""
    path = data_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # another process (or an earlier start) made it first
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
