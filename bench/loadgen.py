"""What the HTTP benchmarks share: start a server script in its own process, and load it.

The load generator (bench/catalog_pages.py) sends pre-encoded HTTP/1.1 requests over keep-alive sockets, one
client thread per connection, with next to no client work per request. It still takes about half of this 2-core
machine from the server: a bare Flask route under waitress measured 1,250 req/s with it and 2,200 with wrk, which
bench/heartbeats.py now uses. Every target in a run, the baseline included, is loaded by the same generator, so
ratios within a run stay comparable.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(script: str, args: list[str], port: int, env: dict[str, str] | None = None,
          cwd: Path = ROOT, code: str = "") -> subprocess.Popen:
    """Run `python -c script *args` (a server listening on `port`) and wait until it accepts connections.
    Its messages go to a temporary file (a pipe nobody reads would stop a chatty server once full). `code`: a copy
    of the code before a change, imported first by the server and by any process it starts (granian's workers)."""
    log = tempfile.TemporaryFile()  # noqa: SIM115 - open as long as the server runs
    path = os.pathsep.join(part for part in (code, str(ROOT)) if part)
    if code and cwd == ROOT:  # `python -c` puts its folder first on sys.path, before PYTHONPATH: run in `code`'s,
        cwd = Path(code)  # or the code before would import this checkout's `app` (as it did until 2026-12-05)
    process = subprocess.Popen([sys.executable, "-c", script, *args], cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=log, env={**os.environ, **(env or {}), "PYTHONPATH": path})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(log.read().decode(errors="replace") or "server died") from None
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def children(pid: int) -> list[int]:
    """The process's children (granian's workers under its supervisor), from Linux /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and _stat(int(entry.name))[1] == str(pid):
                found.append(int(entry.name))
        except OSError:  # gone meanwhile
            continue
    return found


def server_cpu_s(pid: int) -> float:
    """CPU seconds used so far by a server process and its children (granian's workers), from Linux /proc."""
    total = 0.0
    for each in (pid, *children(pid)):
        try:
            fields = _stat(each)
        except OSError:  # gone meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (state, parent, ...)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def request(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _read_response(sock: socket.socket, buffer: bytearray) -> tuple[int, bytes]:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    head, _sep, _rest = bytes(buffer).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    end = len(head) + 4 + length
    while len(buffer) < end:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    body = bytes(buffer[len(head) + 4:end])
    del buffer[:end]
    return status, body


def _client(port: int, requests: list[bytes], barrier: threading.Barrier) -> tuple[list[float], int, str]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = bytearray()
    times, bad, sample = [], 0, ""
    barrier.wait()
    for raw in requests:
        started = time.perf_counter()
        sock.sendall(raw)
        status, body = _read_response(sock, buffer)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            bad += 1
            sample = sample or f"{status} {body[:300].decode(errors='replace')}"
    sock.close()
    return times, bad, sample


def load(port: int, connections: list[list[bytes]]) -> tuple[list[float], float, int]:
    """Send each list of requests in order on its own keep-alive connection, all connections at once.
    Returns latencies (ms), wall time from the moment all clients are connected, and non-200 answers."""
    barrier = threading.Barrier(len(connections) + 1)
    with ThreadPoolExecutor(len(connections)) as pool:
        futures = [pool.submit(_client, port, queue, barrier) for queue in connections]
        barrier.wait(timeout=60)
        started = time.perf_counter()
        parts = [future.result() for future in futures]
        wall = time.perf_counter() - started
    for _times, bad, sample in parts:
        if bad:
            print("non-200:", sample, file=sys.stderr)
    return [t for times, _bad, _sample in parts for t in times], wall, sum(bad for _t, bad, _s in parts)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]
