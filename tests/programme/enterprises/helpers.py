"""Enterprise test data through the services: a second enterprise, staff of each, and workers linked to one
(confirmed, and consenting when asked)."""

from __future__ import annotations

from app.accounts import organisations
from app.accounts.models import OrgKind
from app.accounts.policy import SYSTEM
from app.extensions import db
from programme.enterprises import links
from tests import factories
from tests.programme.helpers import org

OTHER = "ENT-T2"


def other_enterprise():
    try:
        return org(OTHER)
    except Exception:  # noqa: BLE001 - NotFound on first use
        return organisations.create_organisation(db.session, SYSTEM, parent_code="330200", code=OTHER,
                                                 name="另一家物流公司", kind=OrgKind.enterprise)


def boss(code: str = factories.ENTERPRISE):
    if code == OTHER:
        other_enterprise()
    return factories.user("enterprise_staff", code)


def linked(worker, code: str = factories.ENTERPRISE, *, confirm: bool = True, consent: bool = False):
    """`worker` links to the enterprise `code`; its staff confirm; the worker consents when asked."""
    if code == OTHER:
        other_enterprise()
    link = links.link(db.session, worker, code)
    if confirm:
        links.decide(db.session, boss(code), org(code), link.id, True)
    if consent:
        links.set_consent(db.session, worker, True)
    return worker
