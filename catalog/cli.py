"""`qiuxue catalog ...`: seed the menu and import resources from a spreadsheet, as the operator."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.errors import DomainError
from app.extensions import db
from app.tabular import TableLimits
from catalog import categories, imports

catalog_cli = click.Group("catalog", help="The open resource catalog: menu, imports.")


@catalog_cli.command("seed-menu")
@with_appcontext
def seed_menu() -> None:
    """Create the menu categories from the source document that are missing (safe to run again)."""
    added = categories.seed_menu(db.session)
    db.session.commit()
    click.echo(f"{added} categories added")


@catalog_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_code", required=True, help="Code of the providing organisation.")
@click.option("--publish", is_flag=True, help="Publish the rows at once (each needs an external_url).")
@click.option("--valid-only", is_flag=True, help="Import the valid rows even when others are wrong.")
@with_appcontext
def import_file(file: Path, org_code: str, publish: bool, valid_only: bool) -> None:
    """Import resources from a CSV (UTF-8 or GB18030) or XLSX file."""
    data = file.read_bytes()
    try:
        provider = organisations.get_by_code(db.session, org_code)
        _header, rows = imports.read_rows(data, file.name, limits=_cli_limits())
        with click.progressbar(length=len(rows), label="importing") as bar:
            report = imports.import_resources(db.session, SYSTEM, provider, data, file.name, valid_only=valid_only,
                                              publish=publish, limits=_cli_limits(), progress=bar.update)
    except DomainError as err:
        db.session.rollback()
        raise click.ClickException(err.message) from None
    for error in report.errors[:200]:
        click.echo(f"第{error.row}行 [{error.column}] {error.message}", err=True)
    if report.errors and not report.imported:
        db.session.rollback()
        raise click.ClickException(f"nothing imported: {report.bad_rows} of {report.rows} rows have errors "
                                   "(use --valid-only to import the others)")
    db.session.commit()
    click.echo(f"{report.imported} imported ({report.published} published), {report.bad_rows} rows skipped")


def _cli_limits() -> TableLimits:
    return TableLimits.from_config(current_app.config, scale=10)
