"""Heartbeats accepted and refused are counted for Prometheus (app/observability/metrics.py)."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.learning.test_heartbeat_api import _login


def _count(outcome: str) -> float:
    return REGISTRY.get_sample_value("qiuxue_heartbeats_total", {"outcome": outcome}) or 0.0


def test_accepted_and_refused_heartbeats_are_counted(app, learner):
    lesson = learner.lesson(0)
    bodies = learner.steady(lesson, 3)
    bodies[1] = {**bodies[1], "watched": [[0, 599]]}  # far more than the wall clock allows: refused
    client, token = _login(app, learner.user.phone, lesson.id)
    accepted, refused = _count("accepted"), _count("refused")
    statuses = [client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token}).status_code
                for body in bodies]
    assert statuses == [200, 400, 200]
    assert (_count("accepted") - accepted, _count("refused") - refused) == (2, 1)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'qiuxue_heartbeats_total{outcome="accepted"}' in text
