"""Where a search replica is in the shared change log: pure rules, no database and no files.

The log is the outbox's "resource" rows (app.outbox), append-only with an id sequence; every host's replica
applies them in id order and keeps its own `Position` beside its index. Ids are handed out when a transaction
inserts its row, not when it commits: on PostgreSQL a later id may commit before an earlier one (two sessions,
the second commits first), and a rolled-back transaction leaves a hole that never fills. A bare "last id
applied" cursor would step over the earlier id for ever.

So a position is a high-water mark plus the holes below it: `seen` is the highest id applied, `gaps` the ids
below it not seen yet, each with the time the replica first missed it. Each pass reads the rows above `seen`
*and* the rows in `gaps` (a transaction that was in flight fills its hole when it commits), applies all of them
(applying is idempotent: the indexer re-reads each resource's current state), and drops a hole once it has been
missing for `gap_seconds`: its transaction rolled back, or ran longer than any request does. Holes are few (a
rolled-back change or a commit in flight), so the query stays small; `MAX_GAPS` bounds a burst of rollbacks.
The time is the replica's own clock, so hosts with skewed clocks still wait the full `gap_seconds`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_GAPS = 10_000  # a rolled-back import of more rows than this gives up its oldest holes early


@dataclass(frozen=True)
class Position:
    seen: int = 0                                         # highest log id applied
    gaps: dict[int, float] = field(default_factory=dict)  # id below `seen` not seen yet -> first missed (epoch s)

    @property
    def settled(self) -> int:
        """Every id up to this one is applied or given up: what pruning may delete up to, for this replica."""
        return min(self.gaps) - 1 if self.gaps else self.seen

    def to_json(self) -> str:
        return json.dumps({"seen": self.seen, "gaps": {str(i): t for i, t in sorted(self.gaps.items())}})

    @classmethod
    def from_json(cls, text: str) -> Position:
        data = json.loads(text)
        return cls(int(data["seen"]), {int(i): float(t) for i, t in data.get("gaps", {}).items()})


def advance(position: Position, ids: Iterable[int], now: float, gap_seconds: float) -> Position:
    """The position after applying the log rows `ids` (rows above `seen` or filling holes): new holes are the
    ids skipped on the way up; holes older than `gap_seconds` are given up."""
    got = set(ids)
    gaps = {i: t for i, t in position.gaps.items() if i not in got and now - t < gap_seconds}
    top = max(got, default=position.seen)
    if top > position.seen:
        gaps.update((i, now) for i in range(max(position.seen + 1, top - MAX_GAPS), top) if i not in got)
    if len(gaps) > MAX_GAPS:
        gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
    return Position(max(top, position.seen), gaps)


def later(first: Position | None, second: Position | None) -> Position | None:
    """Of two positions of indexes that both hold everything up to their own position, the further one."""
    if first is None or second is None:
        return first or second
    return first if first.seen >= second.seen else second
