"""`qiuxue programme ...`: data exchange files and the yearly report, as the operator (policy.SYSTEM),
through the same services as the /exchange and /reports pages."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from app.accounts import organisations
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.errors import DomainError
from app.extensions import db
from app.tabular import TableLimits
from programme.admissions import plans
from programme.exchange import imports as exchange
from programme.money import claim_checks, subsidies
from programme.reporting import reports

KINDS = {"admissions": "admission", "graduations": "graduation", "certificates": "certificate"}


programme_cli = click.Group("programme", help="The dual-upgrade programme: data exchange imports and reports.")


def _fail(err: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException("\n".join([err.message] + [f"  {k}: {v}" for k, v in err.fields.items()]))


@programme_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(list(KINDS)), required=True,
              help="admissions / graduations (from an institution) or certificates (from the HR department).")
@click.option("--org", "org_code", required=True, help="Code of the sending institution or HR department.")
@click.option("--valid-only", is_flag=True, help="Import the valid rows even when others are wrong (still exits 1).")
@with_appcontext
def import_file(file: Path, kind: str, org_code: str, valid_only: bool) -> None:
    """Import a CSV (UTF-8 or GB18030) or XLSX exchange file; every bad row is printed, and any error exits 1."""
    try:
        org = organisations.get_by_code(db.session, org_code)
        report = exchange.import_file(db.session, SYSTEM, org, KINDS[kind], file.read_bytes(), file.name,
                                      valid_only=valid_only,
                                      limits=TableLimits.from_config(current_app.config, scale=10))
    except DomainError as err:
        _fail(err)
    for error in report.errors:
        click.echo(f"第{error.row}行 [{error.column}] {error.message}", err=True)
    if report.errors and not report.imported:
        db.session.rollback()
        raise click.ClickException(f"nothing imported: {report.bad_rows} of {report.rows} rows have errors"
                                   + ("" if valid_only else " (use --valid-only to import the others)"))
    db.session.commit()
    click.echo(f"{report.imported} imported, {report.bad_rows} rows with errors skipped")
    if report.errors:
        raise click.exceptions.Exit(1)


@programme_cli.command("report")
@click.option("--year", type=int, required=True, help="Programme year.")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True)
@click.option("--org", "org_code", help="Union code (default: the province union).")
@with_appcontext
def report(year: int, fmt: str, output: Path, org_code: str | None) -> None:
    """Write the yearly report of a union (figures by region, year and industry) as XLSX or PDF."""
    try:
        org = organisations.get_by_code(db.session, org_code) if org_code else plans.province(db.session)
        if org.kind != OrgKind.union:
            raise click.ClickException(f"{org_code} is not a union: reports are per union")
        result = reports.build(db.session, SYSTEM, org, year)
    except DomainError as err:
        _fail(err)
    if fmt == "xlsx":
        body = reports.xlsx(result)
    else:
        body = reports.pdf(result, _("%(org)s %(year)d年度 职工学历技能双提升行动统计报告", org=org.name, year=year))
    output.write_bytes(body)
    click.echo(f"{output}: {fmt} report of {org.name} for {year}, {len(body)} bytes")


@programme_cli.command("claim")
@click.argument("claim_id", type=int)
@click.option("--approve", "decision", flag_value="approve", help="Approve (only on agreeing evidence).")
@click.option("--reject", "decision", flag_value="reject", help="Refuse; --comment is required.")
@click.option("--comment", default="", help="The reason, shown to the claimant.")
@with_appcontext
def claim(claim_id: int, decision: str | None, comment: str) -> None:
    """Show a subsidy claim beside the record it rests on; with --approve or --reject, decide it through the
    same rules as the review page (no record, a mismatch or a result already paid for refuses approval)."""
    try:
        item = subsidies.get(db.session, claim_id)
        found = claim_checks.review(db.session, item)
        for row in found.rows:
            mark = "✓" if row.ok else "✗"
            click.echo(f"{mark} {row.label}: {row.claim_says} | {row.record_says} {row.note}".rstrip())
        if decision is None:
            for problem in found.problems:
                click.echo(problem, err=True)
            return
        subsidies.decide(db.session, SYSTEM, item, decision == "approve", comment)
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"claim {claim_id}: {item.status.value}" + (f", {item.amount} yuan" if item.amount else ""))
