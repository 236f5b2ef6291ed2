"""Flask-Migrate, set up without importing it: Flask-Migrate imports Alembic, which brings Mako (~11 MB resident
together), and a web process never migrates. The `db` commands (`qiuxue db upgrade`, ...) and whatever asks for
`app.extensions["migrate"]` (Flask-Migrate's functions, migrations/env.py, the tests) import it on first use, and
get Flask-Migrate's own configuration from then on."""

from __future__ import annotations

from typing import Any, cast

import click
from flask import Flask
from flask_sqlalchemy import SQLAlchemy


class DeferredMigrate:
    """Stands in `app.extensions["migrate"]` until an attribute is read; then Flask-Migrate's own `_MigrateConfig`
    is made (and replaces this object), and the attribute read from it."""

    def __init__(self, app: Flask, db: SQLAlchemy, directory: str, **alembic: Any) -> None:
        self._app, self._db, self._directory, self._alembic = app, db, directory, alembic
        self._real: Any = None

    def load(self) -> Any:
        if self._real is None:
            # Alembic + Mako (~11 MB resident): only in the process that migrates, never in a web process
            from flask_migrate import Migrate

            Migrate(self._app, self._db, directory=self._directory, **self._alembic)  # sets extensions["migrate"]
            self._real = self._app.extensions["migrate"]
        return self._real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.load(), name)


class MigrationCommands(click.Command):
    """The `db` command group as listed in `qiuxue --help`; given arguments, it hands them to Flask-Migrate's
    own group (its options, subcommands and help), imported then."""

    def __init__(self) -> None:
        super().__init__("db", help="Perform database migrations.", add_help_option=False,
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        # Alembic + Mako (~11 MB resident): only when a `db` command runs
        from flask_migrate.cli import db as commands  # type: ignore[import-untyped]  # no stubs for its cli module

        return cast(click.Context, commands.make_context(info_name, args, parent=parent, **extra))


def init_app(app: Flask, db: SQLAlchemy, directory: str, **alembic: Any) -> None:
    """What `Migrate(app, db, directory, ...)` does, without importing Flask-Migrate now."""
    app.extensions["migrate"] = DeferredMigrate(app, db, directory, **alembic)
    app.cli.add_command(MigrationCommands())
