"""The course analytics' pure figures (learning.analytics.curves): the drop-off curve from known watched intervals,
the funnel, weeks and hours, and the privacy floor."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from learning.analytics import curves
from learning.devices import COMPUTER, PHONE, TABLET, device_class
from learning.progress import merge


def test_a_curve_has_a_point_per_percent_of_the_video_and_none_shorter_than_a_second():
    assert curves.bucket_width(120) == 1.2 and len(curves.dropoff([], 120).starts) == 100
    assert curves.bucket_width(3600) == 36.0 and len(curves.dropoff([], 3600).starts) == 100
    assert curves.bucket_width(30) == 1.0 and len(curves.dropoff([], 30).starts) == 30


def test_known_intervals_give_the_known_curve():
    """A 500 s video (100 points of 5 s): A watches it all, B stops at 162 s, C at 163 s, D watches 0-50 s and
    250-500 s (skipped the middle), E opened it and watched nothing."""
    learners = [([[0, 500]], 500), ([[0, 162]], 162), ([[0, 163]], 163), ([[0, 50], [250, 500]], 500), ([], 0)]
    curve = curves.dropoff(learners, 500)
    assert curve.starters == 4  # E never started
    assert curve.width == 5.0 and curve.starts[:3] == [0.0, 5.0, 10.0]
    assert curve.watched[:10] == [4] * 10           # 0-50 s: everyone
    assert curve.watched[10:32] == [3] * 22         # 50-160 s: D skipped
    assert curve.watched[32] == 2                   # 160-165 s: B saw 2 s of 5 (< half), C 3 s (>= half)
    assert curve.watched[33:50] == [1] * 17         # 165-250 s: only A
    assert curve.watched[50:] == [2] * 50           # 250-500 s: A and D
    assert curve.stopped[32] == 2 and sum(curve.stopped) == 2  # B and C stop in 160-165 s
    assert curve.finished == 2                                 # A and D reached the last point
    assert curve.biggest_drop() == 32
    assert curve.share(0) == 1.0 and curve.share(32) == 0.5


def test_intervals_outside_the_video_are_clipped_and_a_last_short_point_counts_by_its_own_length():
    curve = curves.dropoff([([[-10, 0.4], [50, 60]], 60)], 50.5)  # 51 points of 1 s, the last half a second
    assert len(curve.starts) == 51
    assert curve.watched[0] == 0   # 0.4 s of 1 (the part before 0 does not count)
    assert curve.watched[50] == 1  # 50-50.5 s fully seen
    assert curve.finished == 1


def test_nobody_stopped_early_has_no_biggest_drop():
    curve = curves.dropoff([([[0, 60]], 60)], 60)
    assert curve.biggest_drop() is None and curve.finished == 1


intervals = st.lists(st.tuples(st.floats(0, 300, allow_nan=False), st.floats(0, 300, allow_nan=False))
                     .map(lambda t: (min(t), max(t))), max_size=8).map(merge)


@given(st.lists(intervals, max_size=15), st.integers(1, 400))
def test_any_intervals_give_a_curve_within_its_starters(all_watched, duration):
    curve = curves.dropoff([(w, max((b for _a, b in w), default=0)) for w in all_watched], duration)
    assert len(curve.starts) == len(curve.watched) == len(curve.stopped)
    assert all(0 <= n <= curve.starters for n in curve.watched)
    assert sum(curve.stopped) + curve.finished == curve.starters
    assert curve.starters == sum(1 for w in all_watched if any(min(b, duration) > a for a, b in w))
    assert all(0.0 <= curve.share(i) <= 1.0 for i in range(len(curve.starts)))


@given(st.lists(intervals, min_size=1, max_size=10), st.integers(10, 400))
def test_watching_more_never_lowers_a_point(all_watched, duration):
    """Adding the whole video to one learner's intervals can only raise each point's count."""
    before = curves.dropoff([(w, 0) for w in all_watched], duration)
    more = [merge([*all_watched[0], (0, duration)]), *all_watched[1:]]
    after = curves.dropoff([(w, 0) for w in more], duration)
    assert all(a >= b for a, b in zip(after.watched, before.watched, strict=True))


def test_the_funnel_counts_each_stage_and_a_completed_learner_at_every_one():
    funnel = curves.funnel(10, [(0.2, False), (0.5, False), (0.9, False), (0.1, True), (1.0, True)])
    assert funnel.stages() == [("enrolled", 10), ("started", 5), ("half", 4), ("complete", 2)]


@given(st.integers(0, 50), st.lists(st.tuples(st.floats(0, 1), st.booleans()), max_size=60))
def test_the_funnel_never_widens(enrolled, learners):
    counts = [n for _stage, n in curves.funnel(enrolled, learners).stages()]
    assert counts == sorted(counts, reverse=True) and counts[0] == enrolled


def test_a_learners_share_is_the_mean_of_their_lessons_clipped():
    assert curves.learner_share([1.0, 0.0, 2.0, -1.0]) == 0.5
    assert curves.learner_share([]) == 0.0


def test_weeks_run_from_the_first_monday_to_the_last_with_empty_weeks():
    days = [date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 20)]  # Wed, Thu; the Friday two weeks on
    assert curves.by_week(days) == [(date(2026, 11, 2), 2), (date(2026, 11, 9), 0), (date(2026, 11, 16), 1)]
    assert curves.by_week([]) == []


def test_hours_fill_all_twenty_four():
    hours = curves.by_hour([20, 20, 7])
    assert len(hours) == 24 and hours[20] == 2 and hours[7] == 1 and sum(hours) == 3


def test_a_figure_needs_at_least_the_floor_of_learners():
    assert not curves.shown(4, 5) and curves.shown(5, 5)
    assert not curves.shown(0, 0)  # never from nobody


def test_device_classes_from_user_agents():
    assert device_class("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148") == PHONE
    assert device_class("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit Chrome/120 Mobile Safari") == PHONE
    assert device_class("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit Chrome/120 Safari/537.36") == TABLET
    assert device_class("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)") == TABLET
    assert device_class("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120") == COMPUTER
    assert device_class("") is None and device_class(None) is None and device_class("curl/8.0") is None
