"""Which cells of a published table may be shown (统计公开的隐私底线): pure rules, no app.

A cell stands for a group of people. A group smaller than the floor is withheld ("small"). Withholding one cell
is not enough when the total is printed: total minus the shown cells gives the hidden one back. So, whenever
anything is withheld and the total is shown, more cells are withheld ("complement"), smallest first, until
the withheld cells together hold at least `floor` people: what can be worked out is then itself a group no
smaller than the floor. Empty cells (no one) are shown as they are: they say nothing about anybody."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

SMALL = "small"            # fewer people than the floor
COMPLEMENT = "complement"  # withheld so that a small cell cannot be worked out from the total


@dataclass(frozen=True)
class Cell:
    value: float | None    # None when withheld
    people: int | None     # how many people the value is about; None when withheld
    withheld: str = ""     # SMALL, COMPLEMENT or ""

    @property
    def shown(self) -> bool:
        return not self.withheld


def shown(people: int, floor: int) -> bool:
    """A group of `people` may be published: none at all, or at least `floor` of them."""
    return people == 0 or people >= floor


def cell(people: int, value: float | None, floor: int) -> Cell:
    return Cell(value, people) if shown(people, floor) else Cell(None, None, SMALL)


def breakdown(groups: Mapping[K, tuple[int, float | None]], floor: int, total_people: int) -> dict[K, Cell]:
    """Cells for (people, value) per key, withheld so that no group below the floor can be read or worked out
    from the others and the total (shown when `total_people` may be)."""
    hidden = {k: SMALL for k, (people, _v) in groups.items() if not shown(people, floor)}
    if hidden and shown(total_people, floor) and total_people > 0:
        others = sorted((people, str(k), k) for k, (people, _v) in groups.items() if k not in hidden and people > 0)
        while sum(groups[k][0] for k in hidden) < floor and others:
            hidden[others.pop(0)[2]] = COMPLEMENT
    return {k: Cell(None, None, hidden[k]) if k in hidden else Cell(value, people)
            for k, (people, value) in groups.items()}
