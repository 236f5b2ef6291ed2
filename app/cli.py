"""The `qiuxue` command: Flask's CLI with the app loaded, plus our own groups.

Each command calls the same services as the web pages, acting as the operator (policy.SYSTEM),
and commits once at the end.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from app import create_app, demo, parts_listener, server
from app.accounts import organisations as orgs_service
from app.accounts import service as accounts
from app.accounts.models import Role
from app.accounts.policy import SYSTEM
from app.config import ENV_PREFIX, SETTINGS, shared_key_problem
from app.config import load as load_config
from app.errors import DomainError
from app.extensions import db
from app.tabular import TableLimits


def main() -> None:
    group = FlaskGroup(create_app=create_app, add_version_option=False,
                       help="求学 Qiuxue: course catalog and learning platform.")
    group.add_command(serve)  # found without building an app first: granian's processes build their own
    group(prog_name="qiuxue")


def _fail(err: DomainError) -> None:
    lines = [err.message] + [f"  {name}: {msg}" for name, msg in err.fields.items()]
    raise click.ClickException("\n".join(lines))


users_cli = click.Group("users", help="Manage user accounts.")


@users_cli.command("create")
@click.option("--phone", required=True, help="11-digit mainland mobile number.")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.worker.value, show_default=True)
@click.option("--org", "org_code", help="Organisation code the role is held in (not for admin/worker).")
@click.option("--org-admin", is_flag=True,
              help="Also make the user an administrator of that institution, enterprise or department (appoints "
                   "its staff).")
@click.option("--password", help="Leave out to be prompted (keeps it out of shell history).")
@with_appcontext
def users_create(phone: str, name: str, role: str, org_code: str | None, org_admin: bool,
                 password: str | None) -> None:
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        org = orgs_service.get_by_code(db.session, org_code) if org_code else None
        user = accounts.create_user(db.session, SYSTEM, phone=phone, name=name, role=Role(role), org=org,
                                    password=password, org_admin=org_admin)
    except DomainError as err:
        db.session.rollback()
        _fail(err)
    db.session.commit()
    click.echo(f"created user {user.id} ({user.phone}, {role}{' @ ' + org_code if org_code else ''}"
               f"{', org admin' if org_admin and org_code else ''})")


orgs_cli = click.Group("orgs", help="Organisations: the union tree, institutions, enterprises.")


@orgs_cli.command("seed")
@with_appcontext
def orgs_seed() -> None:
    """Create the Zhejiang province, city and county unions that are missing."""
    added = orgs_service.seed_zhejiang(db.session)
    db.session.commit()
    click.echo(f"{added} organisations added, {orgs_service.count(db.session)} in all")


@orgs_cli.command("list")
@click.option("--under", "root_code", default="330000", show_default=True, help="Show this code and below.")
@click.option("--depth", type=int, default=2, show_default=True, help="Levels below the root to show.")
@with_appcontext
def orgs_list(root_code: str, depth: int) -> None:
    try:
        root = orgs_service.get_by_code(db.session, root_code)
    except DomainError as err:
        _fail(err)
    base = root.path.count("/")
    for org in orgs_service.subtree(db.session, root):
        level = org.path.count("/") - base
        if level <= depth:
            click.echo(f"{'  ' * level}{org.code}  {org.name}  [{org.kind.value}/{org.level.value}]")


@orgs_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def orgs_import(file: Path) -> None:
    """Import township/street unions from a CSV (columns code, name, level, parent_code)."""
    data = file.read_bytes()
    with click.progressbar(length=data.count(b"\n"), label="importing") as bar:
        try:
            report = orgs_service.import_townships(db.session, SYSTEM, data, progress=bar.update,
                                                   limits=TableLimits.from_config(current_app.config, scale=10))
        except DomainError as err:
            db.session.rollback()
            _fail(err)
    if report.errors:
        db.session.rollback()
        raise click.ClickException("nothing imported:\n" + "\n".join(report.errors[:50]))
    db.session.commit()
    click.echo(f"{report.added} added, {report.skipped} already present")


demo_cli = click.Group("demo", help="The demo data that `make run` loads into an empty database.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def demo_load(if_empty: bool) -> None:
    if if_empty and accounts.user_count(db.session):
        click.echo("database not empty: demo data not loaded")
        return
    summary = demo.load(db.session, progress=lambda part: click.echo(f"  demo: {part}"))
    db.session.commit()
    click.echo("demo data loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    click.echo(f"demo accounts (password {demo.DEMO_PASSWORD}): " +
               ", ".join(f"{phone} {role}" for phone, role in demo.ACCOUNTS))


@click.command("serve", help="Serve the site: granian (Linux and macOS), or waitress (anywhere; Windows' only one).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Threads per process.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes; above 1 uses every core (granian).")
@click.option("--server", "kind", type=click.Choice(["granian", "waitress"]), default=server.DEFAULT, show_default=True,
              help="The HTTP server; waitress serves one process only.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, threads: int, workers: int, kind: str) -> None:
    if kind == "granian" and not server.GRANIAN:
        raise click.UsageError("granian is not installed here (not on Windows): use --server waitress.")
    if kind == "waitress" and workers > 1:
        raise click.UsageError("waitress serves one process: use --server granian for --workers above 1.")
    # granian's processes each build their app from the environment: this one, which only watches them, reads
    # the configuration alone (an app built here would stay in memory beside theirs, ~30 MB never used)
    app = ctx.ensure_object(ScriptInfo).load_app() if kind == "waitress" else None
    config = load_config() if app is None else app.config
    if problem := shared_key_problem(config):
        raise click.ClickException(problem)
    click.echo(f"Qiuxue serving at http://{host}:{port}/ (Ctrl+C to stop)")
    if app is not None:
        server.serve_waitress(app, host, port, threads)
        return
    server.serve_granian(host, port, workers, threads, metrics_dir=Path(config["DATA_DIR"]) / "prometheus")


@click.command("config", help="Print every configuration key with its value source and meaning.")
@click.option("--markdown", is_flag=True, help="As the README's table.")
def config_cmd(markdown: bool) -> None:
    for s in SETTINGS:
        if markdown:
            click.echo(f"| `{ENV_PREFIX}{s.key}` | {s.type.__name__.lstrip('_')} | `{s.default}` | {s.meaning} |")
        else:
            click.echo(f"{ENV_PREFIX}{s.key} ({s.type.__name__.lstrip('_')}, default {s.default!r}): {s.meaning}")


@click.command("drop-kept", help="Make every web process, on this host and (on PostgreSQL) on every host, drop what "
               "it keeps between requests (the pages' shared parts, signed-in users, counts): after changing the "
               "database by hand or restoring it, which the site's own commits did not tell them of.")
@with_appcontext
def drop_kept() -> None:
    names = parts_listener.drop_everywhere(db.engine, current_app.extensions.get("kept_stores", {}))
    click.echo(f"dropped: {', '.join(names)}")


def register(app: Flask) -> None:
    for command in (users_cli, orgs_cli, demo_cli, serve, config_cmd, drop_kept):
        app.cli.add_command(command)
