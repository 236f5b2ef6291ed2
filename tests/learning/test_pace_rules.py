"""Properties of the physical rule (learning.pace), for any sequence of heartbeats: the media credited to one
learner never outruns the clock at the fastest playback rate (plus the slack), and an honest offline queue
replayed later is accepted whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from learning import pace
from learning.progress import MAX_PLAYBACK_RATE, PLAYER_SPEEDS

T0 = 1_800_000_000_000  # the learner's last contact before the sequence (ms)
EPS = 1e-6

# (server time advance ms, client time relative to T0 ms (any: back-dated, ahead), claimed media seconds)
events = st.lists(st.tuples(st.integers(0, 120_000), st.integers(-10**9, 10**9),
                            st.floats(0, 5000, allow_nan=False)), max_size=40)


def _run(items):
    clock, now, out = pace.start(T0), T0, []
    for advance, client, claim in items:
        now += advance
        after = pace.admit(clock, T0 + client, now, claim)
        credited = 0.0 if after is None else claim
        clock = after or clock
        out.append((now, clock.cursor_ms, credited))
    return out


def _limit(from_ms: int, to_ms: int) -> float:
    return (to_ms - from_ms) / 1000 * MAX_PLAYBACK_RATE + pace.SLACK_S + EPS


@given(events)
def test_credit_between_any_two_moments_stays_within_the_clock(items):
    """Between any two heartbeats, what was credited fits the time the cursor moved (at the fastest rate, plus
    the slack); the cursor never goes back and never passes the server's now."""
    run = [(T0, T0, 0.0), *_run(items)]
    for k, (now, cursor, _credited) in enumerate(run):
        assert cursor <= now and (k == 0 or cursor >= run[k - 1][1])
    for i in range(len(run)):
        total = 0.0
        for j in range(i + 1, len(run)):
            total += run[j][2]
            assert total <= _limit(run[i][1], run[j][1])


@given(events)
def test_credit_between_two_server_contacts_stays_within_the_wall_clock(items):
    """The issue's rule: from a contact the cursor had caught up with (the last one before the sequence, or a
    live heartbeat), the media credited up to any later contact is at most the wall clock between them times
    the fastest rate, plus the slack, on all lessons and devices together."""
    run = [(T0, T0, 0.0), *_run(items)]
    for i, (start_now, start_cursor, _c) in enumerate(run):
        if start_cursor != start_now:
            continue
        total = 0.0
        for now, _cursor, credited in run[i + 1:]:
            total += credited
            assert total <= _limit(start_now, now)


@given(st.lists(st.tuples(st.integers(1, 60_000), st.sampled_from(PLAYER_SPEEDS)), min_size=1, max_size=60),
       st.integers(0, 86_400_000), st.lists(st.integers(0, 200), min_size=60, max_size=60))
def test_an_honest_offline_queue_replayed_later_is_accepted_whole(watching, offline_after, arrivals):
    """Heartbeats queued while offline (each claiming what was played since the one before, at a speed the player
    offers), sent later one after another in a burst: every one is credited."""
    clock, client = pace.start(T0), T0
    queue = []
    for gap_ms, speed in watching:
        client += gap_ms
        queue.append((client, gap_ms / 1000 * speed))
    now = client + offline_after
    for (at, claim), delay in zip(queue, arrivals, strict=False):
        now += delay
        after = pace.admit(clock, at, now, claim)
        assert after is not None
        clock = after
    assert clock.cursor_ms == queue[-1][0]


@given(st.lists(st.tuples(st.integers(-10**10, 0), st.floats(0, 3600, allow_nan=False)), max_size=200),
       st.integers(0, 40_000))
def test_a_back_dated_burst_gains_no_more_than_its_wall_clock(burst, wall_ms):
    """The exploit: a learner last seen at T0 sends, within `wall_ms`, heartbeats dated anywhere before now."""
    clock, total = pace.start(T0), 0.0
    for k, (back, claim) in enumerate(burst):
        now = T0 + wall_ms * (k + 1) // len(burst)
        after = pace.admit(clock, now + back, now, claim)
        if after is not None:
            clock, total = after, total + claim
    assert total <= _limit(T0, T0 + wall_ms)


@given(st.integers(0, 400 * 86_400_000), st.lists(st.tuples(st.integers(0, 10**7), st.floats(0, 3600, allow_nan=False)),
                                                 max_size=200), st.integers(0, 40_000))
def test_after_any_silence_a_burst_gains_at_most_the_queue_age(silence_ms, burst, wall_ms):
    """The exploit with no contact since enrolment: a learner enrolled long ago (`silence_ms`), never seen since,
    sends within `wall_ms` increasing back-dated heartbeats, each claiming what fits its gap. Whatever the silence,
    the burst gains at most MAX_QUEUE_AGE_S of time at the fastest rate (plus the slack and the burst's own time)."""
    clock, total, at = pace.start(T0), 0.0, T0
    start_now = T0 + silence_ms
    for k, (step, claim) in enumerate(burst):
        now = start_now + wall_ms * (k + 1) // len(burst)
        at = min(at + step, now)
        after = pace.admit(clock, at, now, claim)
        if after is not None:
            clock, total = after, total + claim
    reach = min(silence_ms, pace.MAX_QUEUE_AGE_S * 1000)
    assert total <= (reach + wall_ms) / 1000 * pace.RATE + pace.SLACK_S + 1e-6


def test_a_queue_older_than_the_queue_age_is_refused():
    start = pace.start(T0)
    now = T0 + 30 * 86_400_000  # a month of silence
    assert pace.admit(start, T0 + 600_000, now, 600) is None  # watched right after enrolling, a month ago
    assert pace.admit(start, now - 3_000_000, now, 600) is not None  # an hour ago: a queue kept since then


def test_clock_differences_and_replays():
    assert pace.moment(1_000, 2_000, 10_000) == 9_000  # watched 1 s before it was sent, by the phone's clock
    assert pace.moment(1_000, None, 10_000) == 1_000
    assert pace.moment(99_000, None, 10_000) == 10_000  # never in the future
    clock = pace.start(T0)
    assert pace.admit(clock, T0 - 10**9, T0, 0) == clock  # a replay claiming nothing new changes nothing
    assert pace.admit(clock, T0 + 15_000, T0 + 15_000, 30 + pace.SLACK_S) is not None  # 15 s at 2x, and slack
    assert pace.admit(clock, T0 + 15_000, T0 + 15_000, 30 + pace.SLACK_S + 0.01) is None
