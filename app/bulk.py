"""Bulk actions (select many, act once): the one kernel every "approve / return / verify / hide / re-run the
selected" goes through.

Each selected item runs through the SAME single-item service as its own button, so the policy (conflicts of
interest included: nobody approves their own course among others) and every status rule hold item by item.
Per-item outcomes: each item runs in its own savepoint; the allowed ones are done, the refused ones are listed
by name with the service's reason (in Chinese) and left exactly as they were. The caller commits once, so the
done items and their audit rows are saved together. Every done item gets an audit row (app/audit.py) carrying
the batch's token, and the batch one more row listing what was done and what was refused."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app import audit
from app.accounts.policy import conflicted
from app.errors import DomainError, Forbidden, Invalid, NotFound

MAX_ITEMS = 200  # one page's worth; more is a mistake (or a script), and one transaction should stay short
T = TypeVar("T")


@dataclass(frozen=True)
class Item(Generic[T]):
    """One selected row: its id as the form sent it, the loaded target (None: no such row), the name a page
    shows (only when the actor may see it; "#id" otherwise) and the organisation its audit row belongs to."""

    ref: str
    target: T | None
    name: str
    org_id: int | None = None


@dataclass(frozen=True)
class Refused:
    ref: str
    name: str
    reason: str


@dataclass
class Outcome:
    action: str
    batch: str
    done: list[str] = field(default_factory=list)       # names, for pages
    done_refs: list[str] = field(default_factory=list)  # ids, for the API and the batch's audit row
    refused: list[Refused] = field(default_factory=list)

    def summary(self) -> str:
        return _("已处理%(n)d项。", n=len(self.done)) if self.done else _("没有处理任何一项。")

    def refusals(self) -> list[str]:
        """One line per refused item, for the page: "《名称》：原因"."""
        return [_("%(name)s：%(reason)s", name=r.name, reason=r.reason) for r in self.refused]


def parse_ids(values: Iterable[Any], *, numeric: bool = True) -> list[str]:
    """The selected ids of a form's `ids` fields (or a JSON list), once each in the order given. Nothing selected,
    more than MAX_ITEMS, or (when `numeric`) something that is not a positive whole number: Invalid."""
    seen: dict[str, None] = {}
    for value in values:
        text = str(value).strip()
        if numeric and not (text.isascii() and text.isdigit() and 0 < len(text) <= 12):
            raise Invalid(_("选择的条目有误，请刷新页面后重新选择。"), code="bad_ids",
                          fields={"ids": _("选择的条目有误，请刷新页面后重新选择。")})
        if text:
            seen[text[:600]] = None
        if len(seen) > MAX_ITEMS:
            break
    if not seen:
        raise Invalid(_("请先勾选要处理的条目。"), code="nothing_selected", fields={"ids": _("请先勾选要处理的条目。")})
    if len(seen) > MAX_ITEMS:
        raise Invalid(_("一次最多处理%(n)d项，请分批操作。", n=MAX_ITEMS), code="too_many",
                      fields={"ids": _("一次最多处理%(n)d项，请分批操作。", n=MAX_ITEMS)})
    return list(seen)


def _reason(err: DomainError, actor: Any, policy_action: str, target: Any) -> str:
    if isinstance(err, Forbidden) and policy_action and conflicted(actor, policy_action, target):
        return _("不能处理自己（或本单位）的事项，请由其他工作人员处理。")
    if isinstance(err, (Forbidden, NotFound)):
        return _("不存在，或不在您的处理范围内。")
    details = "；".join(v for v in err.fields.values() if v and v != err.message)
    return f"{err.message} {details}".strip() if details else err.message


def run(session: Session, actor: Any, action: str, target_kind: str, items: Sequence[Item[T]],
        step: Callable[[T], object], *, policy_action: str = "", org_id: int | None = None,
        **detail: Any) -> Outcome:
    """Apply `step` (the single-item service call) to each item in its own savepoint and audit each one done.
    `policy_action` names the policy rule `step` checks, to say plainly when an item is refused because it is the
    actor's own. `detail` goes into every audit row (e.g. the one comment)."""
    outcome = Outcome(action=action, batch=secrets.token_hex(8))
    for item in items:
        target = item.target
        if target is None:
            outcome.refused.append(Refused(item.ref, item.name, _("不存在，或不在您的处理范围内。")))
            continue
        try:
            with session.begin_nested():
                step(target)
                audit.record(session, actor, action, target_kind, item.ref[:64], org_id=item.org_id,
                             batch=outcome.batch, **detail)
        except DomainError as err:
            outcome.refused.append(Refused(item.ref, item.name, _reason(err, actor, policy_action, target)))
        else:
            outcome.done.append(item.name)
            outcome.done_refs.append(item.ref)
    audit.record(session, actor, action, "batch", outcome.batch, org_id=org_id, done=outcome.done_refs,
                 refused=[r.ref for r in outcome.refused], **detail)
    return outcome
