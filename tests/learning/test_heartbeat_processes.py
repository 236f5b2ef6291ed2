"""`qiuxue serve --workers 2`: two server processes on one database. Heartbeats sent at once to both are all
kept (on SQLite each process has its own group writer, and they take turns at the database's write lock)."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from app.extensions import db
from learning.models import LessonProgress
from tests import factories
from tests.conftest import CSRF_RE, FAST_HASH, TEST_DATABASE_URL
from tests.hosts import serving

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="--workers needs granian (Linux, macOS)")
BIN = Path(sys.executable).parent


@pytest.fixture
def two_processes(app):
    env = {**os.environ, "QIUXUE_DATA_DIR": app.config["DATA_DIR"], "QIUXUE_SECRET_KEY": app.config["SECRET_KEY"],
           "QIUXUE_DATABASE_URL": TEST_DATABASE_URL, "QIUXUE_MEDIA_WORKER": "external",
           "QIUXUE_SEARCH_INDEXER": "off", "QIUXUE_PASSWORD_HASH": FAST_HASH}
    with serving([str(BIN / "qiuxue"), "serve", "--workers", "2", "--threads", "4"], env,
                 log=Path(app.config["DATA_DIR"]).parent / "serve.log") as served:
        yield served.base, served.process.pid


def _login(base: str, phone: str, lesson_id: int) -> tuple[requests.Session, str]:
    session = requests.Session()
    token = CSRF_RE.search(session.get(base + "/auth/login").text).group(1)
    session.post(base + "/auth/login", data={"csrf_token": token, "phone": phone, "password": factories.PASSWORD})
    page = session.get(f"{base}/learning/lessons/{lesson_id}").text
    return session, re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_two_server_processes_keep_every_heartbeat(app, learner, two_processes):
    base, pid = two_processes
    children = Path(f"/proc/{pid}/task/{pid}/children")  # Linux: granian's worker processes
    deadline = time.monotonic() + 20
    while children.exists() and len(children.read_text().split()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)  # /healthz answers as soon as the first worker is up
    assert not children.exists() or len(children.read_text().split()) == 2
    lesson = learner.lesson(0)
    people = learner.with_classmates(5)
    bodies = learner.steady(lesson, 20)
    logged_in = [_login(base, user.phone, lesson.id) for user in people]
    ready = threading.Barrier(len(people))

    def run(session: requests.Session, token: str) -> list[int]:
        ready.wait()
        return [session.post(base + "/api/v1/progress", json=body, headers={"X-CSRFToken": token}).status_code
                for body in bodies]

    with ThreadPoolExecutor(len(people)) as pool:
        answers = list(pool.map(lambda pair: run(*pair), logged_in))
    db.session.expire_all()
    for user, statuses in zip(people, answers, strict=True):
        assert statuses == [200] * 20
        row = db.session.query(LessonProgress).filter_by(user_id=user.id, lesson_id=lesson.id).one()
        assert row.watched == [[0.0, 300.0]] and row.position_s == 300


def test_a_writer_waits_for_another_process_s_turn_then_commits(app, learner):
    """On SQLite the host's group writers take turns (learning.group_writer.HostTurn): while another process's
    writer holds its turn, a heartbeat here is not written; it is answered, and kept, as soon as that turn ends."""
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL takes concurrent writers: each request writes its own")
    import fcntl

    from learning.group_writer import TURN_FILE
    from tests.learning.test_heartbeat_api import _login as login_in_thread

    lesson = learner.lesson(0)
    body, phone, lesson_id, uid = learner.steady(lesson, 1)[0], learner.user.phone, lesson.id, learner.user.id
    turn = os.open(Path(app.config["DATA_DIR"]) / "cache" / TURN_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(turn, fcntl.LOCK_EX)  # as the other process's writer holds it
    answers: list[int] = []

    def send() -> None:
        client, token = login_in_thread(app, phone, lesson_id)
        answers.append(client.post("/api/v1/progress", json=body, headers={"X-CSRFToken": token}).status_code)

    sender = threading.Thread(target=send)
    sender.start()
    sender.join(timeout=1.5)
    assert sender.is_alive() and answers == []  # waiting for the turn, nothing answered
    with app.app_context():
        assert db.session.query(LessonProgress).filter_by(user_id=uid).count() == 0
    fcntl.flock(turn, fcntl.LOCK_UN)
    os.close(turn)
    sender.join(timeout=10)
    assert answers == [200]
    with app.app_context():
        assert db.session.query(LessonProgress).filter_by(user_id=uid).one().position_s == 15


def test_a_heartbeat_refused_by_its_reads_is_answered_during_another_process_s_turn(app, learner):
    """The reads come before the turn: while another process's writer holds it, a heartbeat that its reads refuse
    (a lesson that does not exist) is answered at once, where a good one waits for the turn."""
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL takes concurrent writers: each request writes its own")
    import fcntl

    from learning.group_writer import TURN_FILE
    from tests.learning.test_heartbeat_api import _login as login_in_thread

    lesson = learner.lesson(0)
    body, phone, lesson_id = learner.steady(lesson, 1)[0], learner.user.phone, lesson.id
    turn = os.open(Path(app.config["DATA_DIR"]) / "cache" / TURN_FILE, os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(turn, fcntl.LOCK_EX)  # as the other process's writer holds it
    answers: dict[str, tuple[int, str]] = {}

    def send(name: str, beat: dict) -> None:
        client, token = login_in_thread(app, phone, lesson_id)
        answer = client.post("/api/v1/progress", json=beat, headers={"X-CSRFToken": token})
        answers[name] = answer.status_code, (answer.get_json() or {}).get("error", {}).get("code", "")

    try:
        refused = threading.Thread(target=send, args=("refused", {**body, "lesson_id": 10**6}))
        refused.start()
        refused.join(timeout=5)
        assert answers.get("refused") == (404, "lesson_not_found")  # answered while the turn is held
        good = threading.Thread(target=send, args=("good", body))
        good.start()
        good.join(timeout=1.5)
        assert good.is_alive() and "good" not in answers  # its writes wait for the turn
    finally:
        fcntl.flock(turn, fcntl.LOCK_UN)
        os.close(turn)
    good.join(timeout=10)
    assert answers["good"] == (200, "")
