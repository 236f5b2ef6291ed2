"""The conversion table (学分转换): an outcome type, occupation and level worth a fixed number of credits toward
chosen pathways. Admins keep the table; a recognition request that matches an active row is converted at its rate
(credits.recognition)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.policy import require
from app.errors import Invalid
from app.lookup import get_or_raise
from app.request_input import id_or_none
from credits import fields
from credits.models import Conversion, OutcomeType, Pathway, Recognition


def match_conversion(session: Session, request: Recognition) -> Conversion | None:
    """The active row for the request's outcome, occupation and level (the oldest when several match)."""
    return session.scalar(select(Conversion).where(
        Conversion.active.is_(True), Conversion.outcome_type == request.outcome_type,
        Conversion.occupation == request.occupation, Conversion.level == request.level).order_by(Conversion.id))


def add_conversion(session: Session, actor: Any, raw: dict[str, Any]) -> Conversion:
    """A row of the conversion table (admins): outcome, occupation and level worth N credits toward pathways."""
    require(actor, "credit.conversions", None)
    errors: dict[str, str] = {}
    outcome = str(raw.get("outcome_type") or "")
    if outcome not in OutcomeType.__members__:
        errors["outcome_type"] = _("请选择成果类型。")
    occupation = fields.text(raw.get("occupation"), "occupation", 100, errors, required=True)
    level = fields.text(raw.get("level"), "level", 50, errors, required=True)
    amount = fields.parse_credits(raw.get("credits"), "credits", errors, positive=True)
    pathways = []
    for pid in raw.get("pathways") or []:
        found = session.get(Pathway, found_id) if (found_id := id_or_none(pid)) else None
        if found is None:
            errors["pathways"] = _("学分路径不存在。")
        else:
            pathways.append(found)
    if not pathways and "pathways" not in errors:
        errors["pathways"] = _("请至少选择一条学分路径。")
    if errors:
        raise Invalid(_("请修改标出的内容。"), code="invalid", fields=errors)
    row = Conversion(outcome_type=OutcomeType(outcome), occupation=occupation, level=level, credits=amount,
                     pathways=pathways)
    session.add(row)
    session.flush()
    return row


def conversions(session: Session) -> list[Conversion]:
    return list(session.scalars(select(Conversion).order_by(Conversion.id)))


def deactivate_conversion(session: Session, actor: Any, conversion_id: int) -> Conversion:
    """Stop using a row for new approvals; records already converted keep pointing at it."""
    require(actor, "credit.conversions", None)
    row = get_or_raise(session, Conversion, conversion_id, _("转换规则不存在。"), code="conversion_not_found")
    row.active = False
    session.flush()
    return row
