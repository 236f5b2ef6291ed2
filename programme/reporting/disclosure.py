"""Which cells of a published table may be shown (统计公开的隐私底线): pure rules, no app.

A cell stands for a group of people. A group smaller than the floor is withheld ("small"). Withholding one cell
is not enough when the total is printed: total minus the shown cells gives the hidden one back. So, whenever
anything is withheld and the total is shown, more cells are withheld ("complement"), smallest first, until
the withheld cells together hold at least `floor` people: what can be worked out is then itself a group no
smaller than the floor. Empty cells (no one) are shown as they are: they say nothing about anybody.

Some figures lie within another in the same row (applications ⊇ admitted ⊇ enrolled): the difference of the two is a
group of its own (the refused), so it must not be a small one either ("nested", `column`)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)

SMALL = "small"            # fewer people than the floor
COMPLEMENT = "complement"  # withheld so that a small cell cannot be worked out from the total
NESTED = "nested"          # its difference from the figure it lies within is a small group

Group = tuple[int, float | None]  # (people, value)


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
    if shown(total_people, floor) and total_people > 0:
        _complement(groups, hidden, floor)
    return _cells(groups, hidden)


def _complement(groups: Mapping[K, Group], hidden: dict[K, str], floor: int) -> None:
    others = sorted((people, str(k), k) for k, (people, _v) in groups.items() if k not in hidden and people > 0)
    # only a small cell asks for this (a NESTED one is no small group: `column` complements its difference)
    while SMALL in hidden.values() and sum(groups[k][0] for k in hidden) < floor and others:
        hidden[others.pop(0)[2]] = COMPLEMENT


def _cells(groups: Mapping[K, Group], hidden: Mapping[K, str]) -> dict[K, Cell]:
    return {k: Cell(None, None, hidden[k]) if k in hidden else Cell(value, people)
            for k, (people, value) in groups.items()}


def small_gap(outer: Group, inner: Group, floor: int) -> bool:
    """Outer less inner (the printed values, as a reader subtracts them) names a group below the floor."""
    return 0 < float(outer[1] or 0) - float(inner[1] or 0) < floor


@dataclass(frozen=True)
class Column(Generic[K]):
    """One figure of a table: its groups per row and in total, and the cells published for them."""

    groups: Mapping[K, Group]
    total: Group
    cells: Mapping[K, Cell]
    total_cell: Cell


def nested_cell(group: Group, floor: int, within: Sequence[tuple[Group, Cell]]) -> Cell:
    """A lone cell (a total, a year) lying within others: withheld when below the floor or when an enclosing cell
    is shown and differs from it by a small group (6 applied, 5 admitted: 6 - 5 names the one refused)."""
    found = cell(*group, floor)
    if found.shown and any(outer.shown and small_gap(raw, group, floor) for raw, outer in within):
        return Cell(None, None, NESTED)
    return found


def column(groups: Mapping[K, Group], total: Group, floor: int, within: Sequence[Column[K]] = ()) -> Column[K]:
    """The cells of a figure lying within the `within` figures (each row's people are among theirs).

    Withheld as `breakdown` does, and also (NESTED; the smaller figure goes, the enclosing one stays as its own
    column decided): a row whose difference from a shown enclosing cell is a small group; a row differing at all
    from a withheld one under a shown total, else that total less its shown rows less this row gives the
    difference back; and, when the total itself is withheld this way, every row differing at all, or the rows
    would add up to it. Then both totals give back the difference summed over the rows withheld here, so more rows
    are withheld (COMPLEMENT, smallest difference first) until that sum is none or at least the floor."""
    total_cell = nested_cell(total, floor, [(outer.total, outer.total_cell) for outer in within])
    hidden = {k: SMALL for k, (people, _v) in groups.items() if not shown(people, floor)}
    for outer in within:
        for k, group in groups.items():
            differs = float(outer.groups[k][1] or 0) > float(group[1] or 0)
            unread = total_cell.withheld == NESTED or not outer.cells[k].shown and outer.total_cell.shown
            if k not in hidden and (differs and unread or small_gap(outer.groups[k], group, floor)):
                hidden[k] = NESTED
    if total_cell.shown and total[0] > 0:
        _complement(groups, hidden, floor)
        while any(_complement_gaps(groups, hidden, floor, outer) for outer in within if outer.total_cell.shown):
            pass
    return Column(groups, total, _cells(groups, hidden), total_cell)


def _complement_gaps(groups: Mapping[K, Group], hidden: dict[K, str], floor: int, outer: Column[K]) -> bool:
    """Withhold one more row if the rows unreadable against `outer` differ by a small group in all; True if so."""
    gaps = {k: float(outer.groups[k][1] or 0) - float(group[1] or 0) for k, group in groups.items()}
    unread = [k for k in groups if k in hidden or not outer.cells[k].shown]
    if not 0 < sum(gaps[k] for k in unread) < floor:
        return False
    left = sorted((gaps[k], str(k), k) for k in groups if k not in unread and gaps[k] > 0)
    if not left:
        return False
    hidden[left[0][2]] = COMPLEMENT
    return True
