"""The province's yearly split among the cities (programme/money/allocation.py): whole fen, every fen shared out,
half by places and half by actual enrolment, and a city that enrols more never receives less."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from programme.money.allocation import CityFigures, largest_remainder, split

TEN_MILLION_YUAN_IN_FEN = 1_000_000_000

figures = st.builds(CityFigures, places=st.integers(0, 5_000), enrolled=st.integers(0, 5_000))
cities = st.lists(figures, min_size=1, max_size=12)
totals = st.one_of(st.just(TEN_MILLION_YUAN_IN_FEN), st.integers(0, 2 * TEN_MILLION_YUAN_IN_FEN))


@given(totals, cities)
def test_the_shares_sum_exactly_to_the_total_in_whole_fen(total, found):
    shares = split(total, found)
    assert sum(shares) == total
    assert all(isinstance(s, int) and s >= 0 for s in shares)


@given(totals, cities)
def test_each_share_is_within_one_fen_of_the_exact_share(total, found):
    places, enrolled = sum(c.places for c in found), sum(c.enrolled for c in found)
    for city, share in zip(found, split(total, found), strict=True):
        if places and enrolled:
            exact = total * (Fraction(city.places, places) + Fraction(city.enrolled, enrolled)) / 2
        elif places:
            exact = Fraction(total * city.places, places)
        elif enrolled:
            exact = Fraction(total * city.enrolled, enrolled)
        else:
            exact = Fraction(total, len(found))
        assert abs(share - exact) < 1


@given(totals, cities, st.data())
def test_a_city_that_enrols_more_never_receives_less(total, found, data):
    i = data.draw(st.integers(0, len(found) - 1))
    more = data.draw(st.integers(1, 5_000))
    grown = list(found)
    grown[i] = CityFigures(found[i].places, found[i].enrolled + more)
    assert split(total, grown)[i] >= split(total, found)[i]


@given(st.integers(0, 10_000), st.lists(st.integers(0, 1_000), min_size=1, max_size=10).filter(any))
def test_largest_remainder_gives_the_leftover_to_the_largest_remainders(total, weights):
    shares = largest_remainder(total, weights)
    assert sum(shares) == total
    floors = [total * w // sum(weights) for w in weights]
    assert all(0 <= s - f <= 1 for s, f in zip(shares, floors, strict=True))


def test_a_worked_example():
    # 杭州 60 places and 30 enrolled, 宁波 40 places and 10 enrolled, of 10 million yuan:
    # 杭州 (0.6 + 0.75) / 2 = 67.5 %, 宁波 (0.4 + 0.25) / 2 = 32.5 %
    assert split(TEN_MILLION_YUAN_IN_FEN, [CityFigures(60, 30), CityFigures(40, 10)]) == [675_000_000, 325_000_000]
    # three equal cities and 100 fen: 34, 33, 33 (the spare fen to the first on the tie)
    assert split(100, [CityFigures(1, 0)] * 3) == [34, 33, 33]
    # before anybody enrols the places decide; with nothing at all, equal shares
    assert split(10, [CityFigures(3, 0), CityFigures(1, 0)]) == [8, 2]
    assert split(10, [CityFigures(0, 0), CityFigures(0, 0)]) == [5, 5]


def test_negative_figures_are_refused():
    with pytest.raises(ValueError):
        split(-1, [CityFigures(1, 1)])
    with pytest.raises(ValueError):
        split(10, [CityFigures(-1, 1)])
    assert split(10, []) == []
