"""Flask extensions, created unbound here and bound to the app in `create_app`."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy

from app.csrf_tokens import CheckedOnceCSRF
from app.db import Base

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    class ContextSession(Session):
        """How the type checker sees `db.session`: Flask-SQLAlchemy's scoped_session forwards every Session method
        to the session of the current app context, so services that take a Session are given it as one."""

        def remove(self) -> None:
            """Close the context's session and forget it (scoped_session's own method)."""

        def __call__(self) -> Session:
            """The context's own Session (scoped_session's lookup, done once rather than on every use)."""

    class Database(SQLAlchemy):
        session: ContextSession  # type: ignore[assignment]  # the scoped_session proxy, seen as what it forwards to

db = cast("Database", SQLAlchemy(model_class=Base))
login_manager = LoginManager()
csrf = CheckedOnceCSRF()
babel = Babel()
