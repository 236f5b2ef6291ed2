"""The rule that splits the province's yearly special fund among the city unions (专项经费划拨), pure: no app, no
database, integers only, so it can be tested exhaustively.

The rule, as the document asks ("按名额和实际招生人数"): half of the money follows each city's share of the places
(its quota), half its share of the actual enrolment (enrolment records opened in the city's counties). In exact
fractions city i's share is

    total × (q_i / Q + e_i / E) / 2

(Q, E the sums over cities). When nobody has enrolled yet (E = 0) the places decide alone, when no places were
handed out (Q = 0) the enrolment decides alone, and when both are zero the cities share equally.

Shares are whole units (the caller decides the unit: fen, or yuan when the quota table must agree): each city
first gets the whole part of its exact share, and the units left over (fewer than the number of cities) go one
each to the largest remainders, ties to the earlier city in the given order (largest remainder method). So the
shares always sum to the total, and a city whose enrolment grows, all else equal, never receives less: its exact
share grows while every other city's shrinks, and a remainder outranked by a city that just lost a whole unit is
matched by the extra unit that loss frees (see tests/unit/test_fund_allocation.py for the properties)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CityFigures:
    places: int     # the city's quota of places this year
    enrolled: int   # enrolment records opened in the city's counties this year


def weights(cities: Sequence[CityFigures]) -> list[int]:
    """Integer weights proportional to each city's exact share (q_i·E + e_i·Q, or the fallbacks above)."""
    places = sum(c.places for c in cities)
    enrolled = sum(c.enrolled for c in cities)
    if places and enrolled:
        return [c.places * enrolled + c.enrolled * places for c in cities]
    if places:
        return [c.places for c in cities]
    if enrolled:
        return [c.enrolled for c in cities]
    return [1] * len(cities)


def split(total: int, cities: Sequence[CityFigures]) -> list[int]:
    """`total` units shared among `cities` by the rule above; the shares sum to `total` exactly."""
    if total < 0:
        raise ValueError("total must not be negative")
    if any(c.places < 0 or c.enrolled < 0 for c in cities):
        raise ValueError("figures must not be negative")
    if not cities:
        return []
    return largest_remainder(total, weights(cities))


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to non-negative `weights` (at least one positive): whole parts first, then one
    unit each to the largest remainders (earlier index first on a tie)."""
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("weights must have a positive sum")
    parts = [divmod(total * w, whole) for w in weights]
    shares = [q for q, _r in parts]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-parts[i][1], i))
    for i in order[:left]:
        shares[i] += 1
    return shares
