"""`qiuxue programme api-tokens ...`: the departments' API tokens at the command line, as the operator
(policy.SYSTEM), through the same service as the admins' page; `demo` prints the demo's tokens and the calls that
try the API by hand."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.demo import demo_loaded
from app.errors import DomainError
from app.extensions import db
from programme.sharing import demo, tokens

tokens_cli = click.Group("api-tokens", help="Tokens of the education and HR departments' exchange API.")


def _fail(err: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException("\n".join([err.message] + [f"  {k}: {v}" for k, v in err.fields.items()]))


@tokens_cli.command("create")
@click.option("--org", "org_code", required=True, help="Code of the education or HR department.")
@click.option("--name", required=True, help="What the token is for (shown in the list and the audit log).")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(list(tokens.SCOPES)),
              help="A scope it may use; repeat for more.")
@with_appcontext
def create(org_code: str, name: str, scopes: tuple[str, ...]) -> None:
    """Make a token and print its secret, once (only its digest is kept)."""
    try:
        token, secret = tokens.create(db.session, SYSTEM, organisations.get_by_code(db.session, org_code), name,
                                      list(scopes))
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"token {token.id} for {token.org.name} ({token.scopes}); shown this once:")
    click.echo(secret)


@tokens_cli.command("list")
@with_appcontext
def list_tokens() -> None:
    """Every token: id, department, prefix, scopes, and whether it is revoked."""
    for token in tokens.listing(db.session):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M} UTC" if token.revoked_at else "live"
        click.echo(f"{token.id}\t{token.org.code}\t{token.prefix}…\t{token.scopes}\t{state}\t{token.name}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def revoke(token_id: int) -> None:
    """Refuse the token from its next call on."""
    try:
        token = tokens.revoke(db.session, SYSTEM, tokens.get(db.session, token_id))
    except DomainError as err:
        _fail(err)
    db.session.commit()
    click.echo(f"token {token.id} ({token.prefix}…) revoked")


@tokens_cli.command("demo")
@with_appcontext
def show_demo() -> None:
    """The demo departments' tokens and a call that pushes a certificate a waiting subsidy claim rests on."""
    if not demo_loaded(current_app.config["DATA_DIR"]):
        raise click.ClickException("the demo is not loaded here (qiuxue demo); real tokens are never shown again")
    click.echo(demo.instructions())
