"""A province set-up on one machine, shared by tests/deploy/test_two_hosts.py and bench/two_hosts.py: a fresh
PostgreSQL database (made and dropped here), "hosts" that are each a `qiuxue serve` and a `qiuxue worker` on a
data folder of their own (no shared disk; the same database, secret key, Redis and object store), nginx in front
of them (a temporary configuration, plain HTTP), and signed sessions for the people a run needs (as
bench/heartbeats.py makes them: no login round trip). Also `serving`: one `qiuxue serve` for a test, always stopped
with everything it started, however the test ends."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-two-hosts-" + "0" * 16  # one QIUXUE_SECRET_KEY for every host, as docs/deploy.md asks
QIUXUE = "import sys\nfrom app.cli import main\nsys.argv = ['qiuxue', *sys.argv[1:]]\nmain()\n"
FAST_HASH = "pbkdf2:sha256:1000"  # only to create the accounts quickly: the sessions are signed directly
NGINX = """
{user}worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format hosts '$upstream_addr $request_method $uri $status';
    {access_log}
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
{servers}
}}
"""
NGINX_BIN = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()),
                                          None)
# As deploy/nginx/qiuxue.conf sends them (the app trusts X-Forwarded-* only with QIUXUE_PROXY_FIX_* set), and a
# tus PATCH's body streamed through as the site does.
PROXY = ('proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; '
         'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto $scheme; '
         'client_max_body_size 64m; proxy_request_buffering off;')


def free_ports(count: int) -> list[int]:
    """Free loopback ports for servers started in another process, taken below the kernel's ephemeral range: a
    port the kernel handed out (a bind to 0) may go to an outgoing connection before the server binds it (a CI
    run's weed failed on "bind: address already in use")."""
    ephemeral = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ephemeral.read_text().split()[0]) if ephemeral.exists() else 32768
    ports: list[int] = []
    for port in random.sample(range(10_000, low), low - 10_000):
        with socket.socket() as s, suppress(OSError):
            s.bind(("127.0.0.1", port))
            ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"fewer than {count} free ports below {low}")


def free_port() -> int:
    return free_ports(1)[0]


@dataclass
class Served:
    """A server started by `serving`: its address, its process, and on the way out whether SIGTERM alone stopped
    it and everything it started (granian's supervisor takes its workers down with it)."""

    base: str
    process: subprocess.Popen[bytes]
    stopped_cleanly: bool | None = None


@contextmanager
def serving(command: list[str], env: dict[str, str], *, cwd: Path | None = None, log: Path | None = None,
            wait_s: float = 60) -> Iterator[Served]:
    """`command` (`qiuxue serve` and its options; the --port is added here) as a child leading a process group of
    its own, yielded once /healthz answers 200, its output in `log` if given. Always stopped on the way out,
    however the test ends (`stop_server`): a test that failed while granian's supervisor was slow to stop once left
    it running for 45 minutes, holding its port and answering 500 from a deleted data folder."""
    port = free_port()
    with (log.open("ab") if log else open(os.devnull, "wb")) as out:  # noqa: SIM115 - the child keeps its own handle
        process = subprocess.Popen([*command, "--port", str(port)], cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    served = Served(f"http://127.0.0.1:{port}", process)

    def said() -> str:
        return log.read_text(encoding="utf-8", errors="replace")[-3000:] if log and log.exists() else ""

    try:
        deadline = time.monotonic() + wait_s
        while not _answers(served.base + "/healthz"):
            if process.poll() is not None:
                raise AssertionError(f"{' '.join(command[-6:])} stopped (exit {process.returncode}): {said()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{' '.join(command[-6:])} did not answer /healthz within {wait_s:.0f} s: "
                                     f"{said()}")
            time.sleep(0.2)
        yield served
    finally:
        served.stopped_cleanly = stop_server(process)


def stop_server(process: subprocess.Popen[bytes], timeout: float = 30) -> bool:
    """SIGTERM, as a service manager stops it, `timeout` seconds at most to stop; then SIGKILL to whatever is left
    of its process group. True when SIGTERM alone stopped it and everything it started."""
    if process.poll() is None:
        process.terminate()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
    deadline = time.monotonic() + 5  # what it started may take a moment longer to go
    left = process.returncode is None or _group_alive(process.pid)
    while left and process.returncode is not None and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _group_alive(process.pid)
    kill(process)
    return not left


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - our own server on 127.0.0.1
            return bool(answer.status == 200)
    except OSError:  # refused, reset, timed out, or an HTTP error status
        return False


def create_database(admin_url: str, prefix: str = "two_hosts") -> str:
    """A new, empty database on the server of `admin_url` (a role that may create databases)."""
    import psycopg  # here: only the set-up needs the driver directly

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(admin_url)._replace(path="/" + name))


def drop_database(admin_url: str, url: str) -> None:
    import psycopg  # here: only the set-up needs the driver directly

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def site(url: str, data_dir: str) -> Iterator[Any]:
    """An app on the fresh database `url` with the site's tables, the organisations and the catalog's menu, its
    context pushed while the caller makes its data (committed at the end)."""
    from app import create_app  # the app loads after the database exists
    from app.extensions import db
    from catalog import categories
    from tests import factories

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": KEY, "DATABASE_URL": url, "PASSWORD_HASH": FAST_HASH,
                      "SHARED_PARTS_LISTEN": False})  # the data is made here; the hosts listen
    with app.app_context():
        db.create_all()
        factories.seed_orgs()
        categories.seed_menu(db.session)
        yield app
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def signed_in(app: Any, user: Any) -> dict[str, Any]:
    """A signed-in session for `user` (its row added to the app context's session, committed by the caller): the
    cookie and the CSRF token a browser would hold, valid on every host (one secret key)."""
    from flask import g, session
    from flask_wtf.csrf import generate_csrf

    from app.accounts import sessions
    from app.extensions import db

    sessions.start(db.session, user)
    serializer = app.session_interface.get_signing_serializer(app)
    with app.test_request_context():
        session["_user_id"], session["_fresh"] = user.get_id(), True
        g.pop("csrf_token", None)  # generate_csrf caches in g, which this app context shares
        token = generate_csrf()
        cookie = f"{app.config['SESSION_COOKIE_NAME']}={serializer.dumps(dict(session))}"
    return {"id": user.id, "cookie": cookie, "token": token}


def host_env(url: str, data_dir: Path, name: str, redis_url: str) -> dict[str, str]:
    return {"QIUXUE_DATABASE_URL": url, "QIUXUE_SECRET_KEY": KEY, "QIUXUE_DATA_DIR": str(data_dir),
            "QIUXUE_SEARCH_REPLICA": name, "QIUXUE_WORKER": "external", "QIUXUE_REDIS_URL": redis_url,
            "QIUXUE_PROXY_FIX_X_FOR": "1", "QIUXUE_PAGE_CACHE_SECONDS": "0", "QIUXUE_LOG_LEVEL": "WARNING"}


@dataclass
class Host:
    """One host: `qiuxue serve` on `port` and/or a `qiuxue worker` (run with `worker_args`: "--no-jobs" on a web
    host whose worker only keeps its search replica), all on `data_dir`. Each process leads a process group of
    its own, so killing one kills what it started too (ffmpeg), as when a machine dies."""

    name: str
    data_dir: Path
    env: dict[str, str]
    port: int
    workers: int = 1
    worker_args: tuple[str, ...] = ("worker",)
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    def _run(self, *args: str) -> subprocess.Popen[bytes]:
        with (self.data_dir / f"{args[0]}.log").open("ab") as log:  # the child keeps its own handle
            return subprocess.Popen([sys.executable, "-c", QIUXUE, *args], cwd=self.data_dir, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True,
                                    env={**os.environ, **self.env, "PYTHONPATH": str(ROOT)})

    def start_server(self) -> None:
        self.server = self._run("serve", "--port", str(self.port), "--workers", str(self.workers), "--threads",
                                "8" if self.workers == 1 else "4")

    def start_worker(self) -> None:
        self.worker = self._run(*self.worker_args)

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in (self.server, self.worker) if p is not None]


def stop(*some: Host) -> None:
    """SIGTERM to every process of these hosts at once (each stops as under its service manager), then wait."""
    processes = [p for host in some for p in host.processes() if p.poll() is None]
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process and everything it started: no goodbye, leases and connections just stop."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def start_host(root: Path, name: str, env: dict[str, str], workers: int = 1, *, serve: bool = True,
               worker_args: tuple[str, ...] = ("worker",)) -> Host:
    """A host named `name` with a new data folder under `root`, running `qiuxue serve` (unless not `serve`: a
    worker host) and a worker; `env` from host_env (and any other settings)."""
    data_dir = root / name
    data_dir.mkdir()
    host = Host(name, data_dir, {**env, "QIUXUE_DATA_DIR": str(data_dir), "QIUXUE_SEARCH_REPLICA": name},
                free_port(), workers, worker_args)
    if serve:
        host.start_server()
    host.start_worker()
    return host


def wait_ready(host: Host, timeout: float = 120.0) -> None:
    """/readyz: the database, storage and this host's replica (built from the database) ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.server is not None and host.server.poll() is not None:
            raise RuntimeError(f"{host.name} stopped: {(host.data_dir / 'serve.log').read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{host.port}/readyz", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{host.name} on port {host.port} not ready after {timeout:.0f} s")


def start_nginx(folder: Path, upstreams: dict[str, str], access_log: bool = False,
                ) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    """nginx with one upstream per entry (its name: the body of its `upstream` block, e.g. "server ...;") and a
    server on a free port proxying to each; the ports by upstream name. With `access_log`, folder/access.log
    has one line per request: the upstream address(es) tried, the method, the path and the status."""
    folder.mkdir(exist_ok=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / sub).mkdir()
    ports = {name: free_port() for name in upstreams}
    servers = "".join(f"    upstream {name} {{ {body} }}\n    server {{ listen 127.0.0.1:{ports[name]}; "
                      f"location / {{ proxy_pass http://{name}; {PROXY} }} }}\n" for name, body in upstreams.items())
    log = f"access_log {folder}/access.log hosts;" if access_log else "access_log off;"
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would be `nobody`, shut out of folder
    conf = folder / "nginx.conf"
    conf.write_text(NGINX.format(dir=folder, servers=servers, access_log=log, user=user))
    assert NGINX_BIN is not None, "no nginx (Debian package `nginx`)"
    subprocess.run([NGINX_BIN, "-t", "-q", "-c", str(conf), "-p", str(folder)], check=True)
    process = subprocess.Popen([NGINX_BIN, "-c", str(conf), "-p", str(folder)], stderr=subprocess.DEVNULL)
    for port in ports.values():
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    return process, ports


def search_finds(port: int, word: str, resource_id: int) -> bool:
    """Host `port`'s search (its own replica) lists the resource for `word`."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/search?q={word}", timeout=10) as answer:
        return any(hit["id"] == resource_id for hit in json.load(answer)["results"])


def page(port: int, path: str) -> str:
    """Host `port`'s page at `path` as an anonymous visitor sees it."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
        return answer.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_form(port: int, path: str, person: dict[str, Any], fields: dict[str, str]) -> int:
    """POST a form to host `port` as `person` (from signed_in); its status, a redirect not followed."""
    body = urllib.parse.urlencode({**fields, "csrf_token": person["token"]}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                     headers={"Cookie": person["cookie"], "X-CSRFToken": person["token"]})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as err:
        return err.code
