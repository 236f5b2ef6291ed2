"""Announcements between domain packages: a package says what happened without importing who cares.

`announce` writes the outbox row (app.outbox) and calls every in-process subscriber of the topic at once,
in the caller's transaction. Synchronous on purpose: learning's "resource completed" must leave the credit
record and the certificate written when the heartbeat's response says the course is done (the lesson page
celebrates with the credits earned and links to the certificate), and a subscriber that fails rolls the
completion back with it, so no completion is ever stamped without its award. The outbox row is the durable
record of the announcement for consumers outside this process (a worker duty drains it as search's indexer
drains "resource" rows); subscribers must be idempotent, since a topic/key may be announced again.

Subscribers are registered by their package's `init_app` (the app factory), never at import time.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app import outbox

Handler = Callable[[Session, str], None]

RESOURCE_COMPLETED = "resource.completed"  # key: the Enrolment id, stamped complete in this transaction
RESOURCE_REPUBLISHED = "resource.republished"  # key: the Resource id, selected again after its provider changed it
PLAN_OPENED = "plan.opened"  # key: a programme Plan id, just opened with its budget (the funds ledger posts it)
QUOTA_CHANGED = "quota.changed"  # key: a QuotaChange id (places and province money handed down; the ledger posts it)
# key: the learning Question id, asked in this transaction (programme tells the asker's workplace mentors)
QUESTION_ASKED = "question.asked"
# key: a User id whose own real name or ID number is about to change (not durable: a package whose records rest
# on an identity it checked refuses the change by raising a DomainError)
IDENTITY_CHANGING = "identity.changing"
# key: a User id whose real name or ID number changed in this transaction (not durable: the notifications centre
# tells the owner; app.accounts cannot call it, as the centre reads the accounts' models)
IDENTITY_CHANGED = "identity.changed"

_subscribers: dict[str, list[Handler]] = {}


def subscribe(topic: str, handler: Handler) -> None:
    """Call `handler(session, key)` on every announcement of `topic`; subscribing twice (one app factory
    call per test) registers it once."""
    handlers = _subscribers.setdefault(topic, [])
    if handler not in handlers:
        handlers.append(handler)


def subscribers(topic: str) -> list[Handler]:
    return list(_subscribers.get(topic, ()))


def announce(session: Session, topic: str, key: str | int, *, durable: bool = True) -> None:
    """Let this process's subscribers act on `topic`/`key` in the same transaction, and record it in the outbox
    when `durable`: only for a topic a worker duty drains (a row nobody drains would pile up for ever)."""
    if durable:
        outbox.emit(session, topic, key)
    for handler in subscribers(topic):
        handler(session, str(key))
