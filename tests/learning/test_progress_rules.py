"""Properties of the pure progress rules (learning.progress) for any order of heartbeats: the union only grows,
the furthest position is the maximum, the resume position is the newest heartbeat's, and replays change nothing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from learning.progress import (
    Beat,
    Progress,
    check_reading,
    covered,
    fold,
    merge,
    reading_complete,
    within_wall_clock,
)

spans = st.lists(st.tuples(st.floats(0, 600, allow_nan=False), st.floats(0, 600, allow_nan=False))
                 .map(lambda t: (min(t), max(t))), max_size=8)
beats = st.lists(st.builds(Beat, position_s=st.floats(0, 600, allow_nan=False), watched=spans.map(tuple),
                           order=st.tuples(st.integers(0, 10**6), st.integers(0, 1000))),
                 max_size=12, unique_by=lambda b: b.order)


def _fold_all(items) -> Progress:
    state = Progress()
    for beat in items:
        state = fold(state, beat)
    return state


@given(beats, st.randoms())
def test_any_order_with_replays_gives_the_same_progress(items, rnd):
    expected = _fold_all(items)
    shuffled = list(items) * 2
    rnd.shuffle(shuffled)
    state = Progress()
    for beat in shuffled:
        before = state
        state = fold(state, beat)
        assert covered(state.watched) >= covered(before.watched)
        assert state.furthest_s >= before.furthest_s and state.order >= before.order
    assert state == expected


@given(beats)
def test_fold_keeps_the_union_the_furthest_and_the_newest(items):
    state = _fold_all(items)
    assert list(state.watched) == merge(s for b in items for s in b.watched)
    if items:
        newest = max(items, key=lambda b: b.order)
        assert state.position_s == newest.position_s
        assert state.furthest_s == max(b.position_s for b in items)


def test_wall_clock_allows_double_speed_and_one_heartbeat_of_grace():
    assert within_wall_clock(60 + 62, 30)
    assert not within_wall_clock(60 + 63, 30)
    assert not within_wall_clock(600, 0)


def test_reading_rules():
    now = 1_800_000_000.0
    assert check_reading(50, [(now - 60, now)], now - 3600, now + 600) is None
    assert check_reading(-1, [], 0, now).code == "negative_time"
    assert check_reading(101, [], 0, now).code == "beyond_duration"
    assert check_reading(5, [(now, now - 5)], 0, now + 10).code == "bad_interval"
    assert check_reading(5, [(now - 7200, now)], now - 3600, now).code == "too_much_watched"  # before enrolment
    assert reading_complete(True, [(0, 20), (10, 30)], 30)
    assert not reading_complete(True, [(0, 29.9)], 30)
    assert not reading_complete(False, [(0, 300)], 30)
