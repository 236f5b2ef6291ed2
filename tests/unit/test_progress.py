"""Interval rules for watching progress: properties that must hold for any heartbeat order."""

from hypothesis import given
from hypothesis import strategies as st

from learning.progress import Beat, Progress, check_heartbeat, covered, fold, is_complete, merge

spans = st.lists(st.tuples(st.floats(0, 600, allow_nan=False), st.floats(0, 600, allow_nan=False))
                 .map(lambda t: (min(t), max(t))), max_size=20)


@given(spans)
def test_merge_is_sorted_disjoint_and_keeps_every_second(intervals):
    merged = merge(intervals)
    assert all(a < b for a, b in merged)
    assert all(merged[i][1] < merged[i + 1][0] for i in range(len(merged) - 1))
    for a, b in intervals:
        if b > a:
            mid = (a + b) / 2
            assert any(x <= mid <= y for x, y in merged)


@given(spans, spans)
def test_merge_is_commutative_and_idempotent(x, y):
    assert merge(x + y) == merge(y + x) == merge(merge(x) + merge(y))
    assert merge(x + x) == merge(x)


@given(st.lists(st.tuples(spans, st.integers(0, 50)), max_size=10), st.randoms())
def test_replayed_and_reordered_heartbeats_give_the_same_union(beats, rnd):
    ordered = Progress()
    for watched, seq in beats:
        ordered = fold(ordered, Beat(0, tuple(watched), (0, seq)))
    shuffled = list(beats) * 2  # every heartbeat twice, in any order
    rnd.shuffle(shuffled)
    state = Progress()
    for watched, seq in shuffled:
        before = covered(state.watched)
        state = fold(state, Beat(0, tuple(watched), (0, seq)))
        assert covered(state.watched) >= before  # never backwards
    assert state.watched == ordered.watched


def test_touching_intervals_join_and_empty_ones_vanish():
    assert merge([(10, 20), (0, 10), (5, 5), (30, 25)]) == [(0.0, 20.0)]


def test_resume_position_follows_the_newest_heartbeat_only():
    state = fold(Progress(), Beat(120, ((0, 120),), (0, 5)))
    state = fold(state, Beat(30, ((0, 30),), (0, 2)))  # an old one replayed from the offline queue
    assert state.position_s == 120


def test_completion_at_ninety_percent_not_below():
    assert is_complete([(0, 90)], 100)
    assert not is_complete([(0, 89.9)], 100)
    assert is_complete([(0, 45), (50, 95)], 100)


def test_seeking_to_the_end_does_not_complete():
    assert not is_complete([(0, 10), (590, 600)], 600)


def test_rewatching_the_same_minute_counts_once():
    assert covered([(0, 60)] * 10) == 60
    assert not is_complete([(0, 60)] * 20, 600)


def test_impossible_heartbeats_are_rejected_with_codes():
    assert check_heartbeat(-1, [], 600, None).code == "negative_time"
    assert check_heartbeat(10, [(0, 700)], 600, None).code == "beyond_duration"
    assert check_heartbeat(10, [(20, 10)], 600, None).code == "bad_interval"
    assert check_heartbeat(100, [(0, 100)], 600, seconds_since_last=15).code == "too_much_watched"
    assert check_heartbeat(30, [(0, 30)], 600, seconds_since_last=15) is None  # 2x speed is fine
    assert check_heartbeat(601, [(590, 601)], 600, None) is None  # players overshoot a little
