"""The physical limit on watched time, pure: no app, no database.

One learner cannot watch faster than the fastest speed the player offers, on all lessons and devices together.
Each learner has a clock: a cursor (a moment, in the server's time) up to which their credited media is
accounted for, and a little spare (slack) carried past it. A heartbeat claims `claim_s` new media seconds
watched up to its client time. The claim is paid from the time between the cursor and that moment, at the
fastest rate, plus the spare; what is left beyond SLACK_S is dropped and the cursor moves to that moment,
never backwards and never past the server's now. So the time between two moments is paid out once, whatever
lesson or device claims it, and a burst of back-dated heartbeats finds the time before the cursor spent.

An offline queue replayed later passes: its heartbeats carry increasing client times after the learner's last
contact with the server, each claiming what was watched since the one before. The spare (at most SLACK_S) lets
a heartbeat that arrives a little out of order, or a clock a few seconds off, through; it is also the most
any burst can gain beyond the wall clock. Live heartbeats keep the cursor at the server's now, so between any
two contacts the credit is at most the time between them times the rate, plus the slack (see the tests,
tests/learning/test_pace_rules.py).

Reading lessons are paid from the same clock: their spans are the learner's own seconds (a page read is not sped
up), so each costs RATE media seconds (`reading`). The same minute is then never read for two lessons, nor read
and watched, and reading time cannot be claimed before the learner's last contact.

A learner silent for a long time (enrolled a month ago, never seen since) would otherwise have that whole
silence to claim in one burst of back-dated heartbeats that fit their gaps, indistinguishable from a genuine
queue. A queue can reach back at most MAX_QUEUE_AGE_S: time before that is treated as spent, so a burst after
any silence gains at most that age at the fastest rate (still the physical bound on average), and a queue kept
offline longer than that is refused as too old.
"""

from __future__ import annotations

from dataclasses import dataclass

from learning.progress import GRACE_S, MAX_PLAYBACK_RATE

RATE = MAX_PLAYBACK_RATE
SLACK_S = GRACE_S  # one heartbeat's worth (30 s at the fastest rate) and the clocks' tolerance
EPSILON_S = 1e-6   # float sums of interval lengths
# How far back an offline queue may reach: the player needs the network to fetch video, so an honest queue is
# what played while heartbeats could not get through, replayed on the next visit — the next day at the latest.
MAX_QUEUE_AGE_S = 48 * 3600


@dataclass(frozen=True)
class Clock:
    cursor_ms: int   # credit is accounted for up to this moment (ms since the epoch, the server's frame)
    spare_s: float   # media seconds of slack left at the cursor, 0..SLACK_S


def start(at_ms: int) -> Clock:
    """A learner's clock before their first heartbeat: at their last contact (enrolment or activity)."""
    return Clock(at_ms, SLACK_S)


def moment(client_ms: int, sent_ms: int | None, now_ms: int) -> int:
    """When the heartbeat says the watching ended, in the server's time: the phone's own clock may be off, so
    when it also says when it sent the request (`sent_ms`, its clock too), the difference is what counts."""
    if sent_ms is not None:
        client_ms += now_ms - sent_ms
    return min(client_ms, now_ms)


def reading(seconds: float) -> float:
    """What `seconds` of reading cost the clock, in media seconds: a second of the learner's time, at RATE."""
    return seconds * RATE


def admit(clock: Clock, at_ms: int, now_ms: int, claim_s: float) -> Clock | None:
    """The clock after crediting `claim_s` media seconds watched up to `at_ms`; None when no one could have.

    A heartbeat claiming nothing new (a replay, a duplicate) always passes and changes nothing."""
    if claim_s <= 0:
        return clock
    cursor = max(clock.cursor_ms, now_ms - MAX_QUEUE_AGE_S * 1000)
    at = max(cursor, min(at_ms, now_ms))
    budget = clock.spare_s + (at - cursor) / 1000 * RATE
    if claim_s > budget + EPSILON_S:
        return None
    return Clock(at, min(max(budget - claim_s, 0.0), SLACK_S))  # time not used now is gone: no hoarding
