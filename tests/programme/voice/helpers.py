"""Survey test data through learning's services: a learner who studied a course (enrolled two hours ago, then a
first quarter-minute of its first video watched, one heartbeat), as a survey answer about it now requires."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.db import utcnow
from app.extensions import db
from learning import enrolment, heartbeats


def studied(user, resource):
    """`user` enrolled in `resource` two hours ago and watched its first 15 seconds an hour ago."""
    found, _created = enrolment.enrol(db.session, user, resource.id)
    found.enrolled_at = found.last_active_at = utcnow() - timedelta(hours=2)  # so the heartbeat's time is credible
    db.session.flush()
    an_hour_ago_ms = int((utcnow() - timedelta(hours=1) - datetime(1970, 1, 1)).total_seconds() * 1000)
    heartbeats.record(db.session, user.id, heartbeats.parse({
        "lesson_id": resource.lessons[0].id, "position_s": 15, "watched": [[0, 15]],
        "client_time": an_hour_ago_ms + 15_000, "seq": 1}))
    return user
