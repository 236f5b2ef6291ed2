"""Issue 21's province set-up, end to end with real processes (docs/deploy.md, docs/scaling.md §6): nginx
round-robin in front of two web hosts (`qiuxue serve` + `qiuxue worker --no-jobs`, each on a data folder of its
own, no shared disk), two worker hosts (`qiuxue worker`), a fresh PostgreSQL database, Redis and a real S3 server
(SeaweedFS). Everything a user sends goes through nginx or straight to one host; nothing acknowledged may be lost:

- wrong passwords alternating between the hosts reach the login limit counted once, across both (Redis);
- an institution uploads a video with the tus client through nginx, its PATCHes landing on both hosts;
- the worker transcoding it is killed (with its ffmpeg) and the other worker takes the job over and finishes;
- a learner's heartbeats go through nginx to both hosts while one web host is killed and started again: every
  heartbeat answered 2xx is in the stored progress;
- the resource, published through one host, is found by the other host's search within 10 s, and is on the other
  host's catalog list at once (its kept list part dropped when host B hears the commit: app/parts_listener.py);
- the bucket holds the source and the renditions, and no web host's data folder holds media.

Runs once, in the PostgreSQL pass of `make test` (skipped in the SQLite pass, and wherever a part is missing,
with the reason)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from tests import hosts
from tests.conftest import TEST_DATABASE_URL
from tests.s3_server import raw_client

pytestmark = [
    pytest.mark.xdist_group("s3"),  # one test process with the other S3 tests, so one SeaweedFS server
    pytest.mark.slow,
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: runs once, in the PostgreSQL pass of "
                       "`make test` (QIUXUE_TEST_DATABASE_URL)"),
    pytest.mark.skipif(hosts.NGINX_BIN is None, reason="no nginx on this machine (Debian package `nginx`)"),
    pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg on this machine (Debian package `ffmpeg`)"),
]
REDIS_URL = os.environ.get("QIUXUE_TEST_HOSTS_REDIS_URL", "redis://127.0.0.1:6379/13")  # DB 13: ours, flushed
WORD = "provincecheckvideo"  # in the uploaded resource's title and nowhere else
LOGIN_LIMIT = 6
STALE_S = 3.0
MIB = 1024 * 1024
MEDIA_SUFFIXES = {".mp4", ".m4a", ".ts", ".m3u8", ".jpg", ".vtt", ".webm", ".mov"}


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.flushdb()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL} ({error}; Debian package `redis-server`)")
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture
def database():
    url = hosts.create_database(TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://", 1))
    yield url.replace("postgresql://", "postgresql+psycopg://", 1)
    hosts.drop_database(TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://", 1), url)


def _people(url: str, data_dir: Path):
    """The learner (enrolled in a published course with a 10-hour video), the institution's staff member with a
    draft resource whose one video lesson has no video yet, and an administrator; all signed in."""
    from app.db import utcnow
    from app.extensions import db
    from learning import enrolment
    from tests import factories
    from tests.catalog.helpers import make
    from tests.learning.conftest import make_course

    with hosts.site(url, str(data_dir)) as app:
        course = make_course(videos=("600:00",), reading=False, external=False)
        learner = factories.user("worker")
        found, _created = enrolment.enrol(db.session, learner, course.id)
        found.enrolled_at = found.last_active_at = utcnow() - timedelta(days=2)  # time to pay for the heartbeats
        staff = factories.user("institution_staff")
        resource = make(title=f"两主机视频 {WORD}", kind="course", lesson_count=1, media=False)
        people = {"learner": hosts.signed_in(app, learner), "staff": hosts.signed_in(app, staff),
                  "admin": hosts.signed_in(app, factories.user("admin", name="管理员"))}
        ids = {"course_lesson": course.lessons[0].id, "resource": resource.id, "lesson": resource.lessons[0].id}
    return app, people, ids


def _video(folder: Path) -> Path:
    """A few MB of 360p video: several tus PATCHes, and a transcode that takes seconds."""
    from tests.media.conftest import make_clip

    return make_clip(folder / "lecture.mp4", seconds=12, size="640x360", rate=25)


def _env(url: str, root: Path, redis_url: str, s3, prefix: str) -> dict[str, str]:
    return {**hosts.host_env(url, root, "", redis_url), **s3.env(),
            "QIUXUE_MEDIA_STORAGE": f"s3://{s3.bucket}/{prefix}",
            "QIUXUE_RATE_LIMIT_LOGIN": f"{LOGIN_LIMIT} per minute",
            "QIUXUE_JOBS_POLL_S": "0.2", "QIUXUE_JOBS_HEARTBEAT_S": "0.5", "QIUXUE_JOBS_STALE_AFTER_S": str(STALE_S),
            "QIUXUE_JOBS_RETRY_BASE_S": "0.5", "QIUXUE_PASSWORD_HASH": hosts.FAST_HASH}


class Heartbeats(threading.Thread):
    """A learner's player: the next 15-second heartbeat every 0.15 s through nginx; one not answered 2xx (a host
    gone mid-request) is sent again, as the player's offline queue does. Keeps the intervals acknowledged."""

    def __init__(self, base: str, person: dict, lesson_id: int) -> None:
        super().__init__(daemon=True)
        self.base, self.person, self.lesson_id = base, person, lesson_id
        self.start_ms = int((time.time() - 86400) * 1000)  # a replayed day-old queue, as bench/heartbeats.py
        self.acked: list[tuple[float, float]] = []
        self.refused = 0
        self.done = threading.Event()

    def run(self) -> None:
        with requests.Session() as player:
            self._beat(player)

    def _beat(self, player: requests.Session) -> None:
        k = 1
        while not self.done.is_set():
            body = {"lesson_id": self.lesson_id, "position_s": k * 15.0, "watched": [[(k - 1) * 15.0, k * 15.0]],
                    "client_time": self.start_ms + k * 15000, "seq": k}
            try:
                answer = player.post(f"{self.base}/api/v1/progress", json=body, timeout=10, headers={
                    "Cookie": self.person["cookie"], "X-CSRFToken": self.person["token"]})
                ok = 200 <= answer.status_code < 300
            except requests.RequestException:
                ok = False
            if ok:
                self.acked.append(((k - 1) * 15.0, k * 15.0))
                k += 1
            else:
                self.refused += 1
            self.done.wait(0.15)


def _served(log: Path, method: str, path: str) -> list[int]:
    """From nginx's access log: the port of the host that answered each `method` request under `path`."""
    found = []
    for line in log.read_text().splitlines():
        addresses, _sep, rest = line.partition(" " + method + " ")
        if rest.startswith(path) and not rest.endswith(" 502"):
            found.append(int(addresses.rsplit(":", 1)[1]))  # the last upstream tried is the one that answered
    return found


def _logins_alternating(a: hosts.Host, b: hosts.Host) -> list[str]:
    """Wrong passwords for unknown numbers (no per-number lockout), alternating between the two hosts: what each
    answer says (400 with the wrong-password message, or 429)."""
    with requests.Session() as browser:
        page = browser.get(f"http://127.0.0.1:{a.port}/auth/login", timeout=10).text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        answers = [browser.post(f"http://127.0.0.1:{(a, b)[n % 2].port}/auth/login", allow_redirects=False,
                                data={"csrf_token": token, "phone": f"1390000{n:04d}", "password": "wrong-guess"},
                                timeout=30) for n in range(LOGIN_LIMIT + 1)]
    return [f"{r.status_code} wrong" if "手机号或密码不正确" in r.text else str(r.status_code) for r in answers]


def _upload(base: str, staff: dict, video: Path) -> str:
    from tusclient import client as tus_client

    with video.open("rb") as stream:
        uploader = tus_client.TusClient(f"{base}/api/v1/uploads/", headers={"Cookie": staff["cookie"]}).uploader(
            file_stream=stream, chunk_size=MIB, metadata={"filename": "课程视频.mp4"})
        uploader.upload()
    return uploader.url[len(base):]


def _wait(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"not within {seconds:.0f} s: {what}")


def _job(app, asset_id: int):
    from app.extensions import db
    from app.jobs import Job
    from media.models import MediaAsset

    with app.app_context():
        asset = db.session.get(MediaAsset, asset_id)
        job = db.session.get(Job, asset.job_id) if asset.job_id else None
        row = {"asset": asset.status.value, "output_key": asset.output_key, "source_key": asset.source_key,
               "job": job and job.state.value, "worker": job and job.worker, "attempts": job and job.attempts,
               "progress": job and job.progress}
        db.session.remove()
    return row


def _host_files(host: hosts.Host) -> list[Path]:
    """Media in a web host's folder: anything in its media folder, or a media file anywhere."""
    media = host.data_dir / "media"
    return [p for p in host.data_dir.rglob("*") if p.is_file()
            and (media in p.parents or p.suffix.lower() in MEDIA_SUFFIXES)]


def test_the_province_set_up_loses_nothing_acknowledged(redis_url, s3_server, database, tmp_path):
    started = time.monotonic()
    app, people, ids = _people(database, tmp_path / "setup")
    prefix = f"two-hosts-{os.urandom(4).hex()}"
    env = _env(database, tmp_path, redis_url, s3_server, prefix)
    web: list[hosts.Host] = []
    workers: list[hosts.Host] = []
    nginx = beats = None
    marks = [("set-up", time.monotonic())]
    try:
        for name in ("web-a", "web-b"):  # a web host's worker keeps its search replica and claims no job
            web.append(hosts.start_host(tmp_path, name, env, worker_args=("worker", "--no-jobs")))
        for name in ("jobs-1", "jobs-2"):
            workers.append(hosts.start_host(tmp_path, name, env, serve=False))
        a, b = web
        video = _video(tmp_path)  # while the hosts start
        for host in web:
            hosts.wait_ready(host)
        nginx, ports = hosts.start_nginx(tmp_path / "nginx", access_log=True, upstreams={
            "web": f"server 127.0.0.1:{a.port} max_fails=1 fail_timeout=1s; "
                   f"server 127.0.0.1:{b.port} max_fails=1 fail_timeout=1s; keepalive 8;"})
        base, log = f"http://127.0.0.1:{ports['web']}", tmp_path / "nginx" / "access.log"
        marks.append(("hosts ready", time.monotonic()))

        statuses = _logins_alternating(a, b)  # the limit counted once for both hosts, not once per host
        assert statuses == ["400 wrong"] * LOGIN_LIMIT + ["429"]

        upload_path = _upload(base, people["staff"], video)
        assert set(_served(log, "PATCH", "/api/v1/uploads/")) == {a.port, b.port}  # PATCHes on both hosts
        created = requests.post(f"{base}/api/v1/media", json={"upload_url": upload_path, "lesson_id": ids["lesson"]},
                                headers={"Cookie": people["staff"]["cookie"], "X-CSRFToken": people["staff"]["token"]},
                                timeout=60)
        assert created.status_code == 201, created.text
        asset_id = created.json()["id"]
        marks.append(("uploaded", time.monotonic()))

        beats = Heartbeats(base, people["learner"], ids["course_lesson"])
        beats.start()
        # the worker holding the transcode, once ffmpeg is at it, dies with its ffmpeg
        running = _wait(lambda: (row := _job(app, asset_id))["job"] == "running" and row["progress"] > 0 and row,
                        90, "the transcode starts")
        doomed = next(w for w in workers if f":{w.worker.pid}:" in running["worker"])
        survivor = next(w for w in workers if w is not doomed)
        hosts.kill(doomed.worker)
        marks.append(("transcoding", time.monotonic()))

        before_kill = len(_served(log, "POST", "/api/v1/progress"))
        hosts.kill(b.server)  # web host B dies; the heartbeats go on through A
        time.sleep(1)
        b.start_server()
        hosts.wait_ready(b)
        restarted = len(_served(log, "POST", "/api/v1/progress"))
        marks.append(("host B back", time.monotonic()))

        # the job's end (the asset is marked ready first, in a commit of its own)
        ended = _wait(lambda: (row := _job(app, asset_id))["job"] in ("succeeded", "failed", "cancelled") and row,
                      120, "the transcode ends")
        # the killed claim, then the survivor's (a third only if this loaded machine delayed a heartbeat by STALE_S)
        assert (ended["asset"], ended["job"], ended["attempts"] >= 2) == ("ready", "succeeded", True), ended
        assert f":{survivor.worker.pid}:" in ended["worker"]  # the other worker took the job over and finished it
        marks.append(("transcoded", time.monotonic()))

        assert WORD not in hosts.page(b.port, "/catalog/all")  # host B keeps the list's part, for an hour if it hears
        submit = f"/catalog/manage/{ids['resource']}/submit"
        assert hosts.post_form(a.port, submit, people["staff"], {}) == 302
        assert hosts.post_form(a.port, f"/catalog/review/{ids['resource']}", people["admin"],
                               {"decision": "select"}) == 302
        published = time.monotonic()
        _wait(lambda: WORD in hosts.page(b.port, "/catalog/all"), 5, "host B's catalog list shows the resource")
        listed_s = time.monotonic() - published
        _wait(lambda: hosts.search_finds(b.port, WORD, ids["resource"]), 10, "host B's search finds the resource")
        found_s = time.monotonic() - published
        time.sleep(1)  # heartbeats on both hosts after the restart
        beats.done.set()
        beats.join(15)

        served = _served(log, "POST", "/api/v1/progress")
        assert set(served[:before_kill]) == {a.port, b.port}  # alternating before host B went down
        assert set(served[restarted:]) == {a.port, b.port}  # and again once it was back
        _assert_every_acknowledged_heartbeat_kept(app, people["learner"]["id"], ids["course_lesson"], beats.acked)
        _assert_the_bucket_holds_the_media(s3_server, prefix, ended["source_key"], ended["output_key"], video)
        for host in web:
            assert _host_files(host) == [], f"media in {host.name}'s data folder"
        print(f"\nprovince set-up: {time.monotonic() - started:.1f} s in all (" + ", ".join(
            f"{name} {at - started:.1f}" for name, at in marks) + f"); {len(beats.acked)} heartbeats acknowledged, "
              f"{beats.refused} refused; listed on host B {listed_s:.2f} s and found by its search {found_s:.1f} s "
              "after publishing on A")
    finally:
        if beats is not None:
            beats.done.set()
        hosts.stop(*web, *workers)
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        _dispose(app)


def _assert_every_acknowledged_heartbeat_kept(app, user_id: int, lesson_id: int, acked) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from learning.models import LessonProgress

    assert len(acked) > 20
    with app.app_context():
        watched = db.session.scalar(select(LessonProgress.watched).where(LessonProgress.user_id == user_id,
                                                                        LessonProgress.lesson_id == lesson_id))
        db.session.remove()
    lost = [(start, end) for start, end in acked if not any(s <= start and end <= e for s, e in watched)]
    assert lost == [], f"acknowledged heartbeats missing from {watched}"


def _assert_the_bucket_holds_the_media(s3_server, prefix: str, source_key: str, output_key: str, video: Path) -> None:
    s3 = raw_client(s3_server)
    names = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=s3_server.bucket, Prefix=prefix)
             for o in page.get("Contents", [])}
    renditions = {n for n in names if n.startswith(f"{prefix}/media/{output_key}/")}
    assert f"{prefix}/media/{output_key}/master.m3u8" in renditions
    assert any(n.endswith(".ts") for n in renditions) and any(n.endswith(".mp4") for n in renditions), renditions
    source = s3.get_object(Bucket=s3_server.bucket, Key=f"{prefix}/media/{source_key}")["Body"].read()
    assert hashlib.sha256(source).digest() == hashlib.sha256(video.read_bytes()).digest()  # every PATCH kept


def _dispose(app) -> None:
    from app.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
