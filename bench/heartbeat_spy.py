"""Where a served heartbeat's CPU goes: bench/heartbeats.py's granian setup (2 processes × 4 threads, SQLite, 200
learners, wrk) sampled by py-spy while wrk sends heartbeats, only the thread holding the GIL at each sample (Python
CPU; py-spy counts a thread blocked in a C wait at its Python line, so the writer's queue wait and the request's wait
for the writer show up as such lines and are listed apart). Prints the share of samples in each function (inclusive)
and at each line where the sample was taken. py-spy slows the server (about half the rate): the shares, not the
rate, are the result.

    .venv/bin/python bench/heartbeat_spy.py [--seconds 9] [--py-spy PATH] > bench/profiles/heartbeat.txt

py-spy is not one of the project's dependencies: `pip install --target /tmp/pyspy py-spy` and pass
--py-spy /tmp/pyspy/bin/py-spy.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import heartbeats as hb  # noqa: E402


def waits() -> set[str]:
    """The lines where a thread waits (the writer for heartbeats, a request for its answer), as py-spy names them."""
    source = (ROOT / "learning" / "group_writer.py").read_text().splitlines()
    at = {text: next(n for n, line in enumerate(source, 1) if text in line)
          for text in ("self._jobs.get(timeout=", "job.done.acquire(")}
    return {f"GroupWriter._serve (learning/group_writer.py:{at['self._jobs.get(timeout=']})",
            f"GroupWriter.run (learning/group_writer.py:{at['job.done.acquire(']})"}


def sample(spy: str, seconds: int, out: Path) -> hb.Run:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        people, lesson = hb.populate(tmp, 208)
        warm, people = people[:8], people[8:]
        hb.write_connections(folder, "learners", people, lesson, 8)
        hb.write_connections(folder, "warm", warm, lesson, 8)
        servers, app_port, _bare_port = hb.start_servers("granian", folder)
        try:
            hb.wrk(app_port, folder, "warm", "POST", "/api/v1/progress", 3, 8)
            recorder = subprocess.Popen([spy, "record", "--subprocesses", "--gil", "-r", "200", "-d", str(seconds),
                                         "-f", "raw", "-o", str(out), "-p", str(servers[0].pid)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        env={**os.environ, "PYTHONPATH": str(Path(spy).parent.parent)})
            time.sleep(0.5)
            run = hb.measured(servers[0], app_port, folder, "learners", "POST", "/api/v1/progress", seconds + 1, 8)
            recorder.wait()
        finally:
            for server in servers:
                server.terminate()
                server.wait()
    return run


def summary(raw: Path) -> None:
    inclusive: collections.Counter[str] = collections.Counter()
    lines: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not count.isdigit() or ";" not in stack:
            continue
        frames = stack.split(";")[1:]  # the first is the process
        total += int(count)
        for name in {re.sub(r":\d+\)", ")", frame) for frame in frames}:
            inclusive[name] += int(count)
        lines[re.sub(r"\(\S*?/(site-packages/|(?=(learning|app|bench)/))", "(", frames[-1])] += int(count)
    waiting = sum(lines[name] for name in waits())
    print(f"{total} samples holding the GIL; {waiting / total:.0%} of them at a wait (listed below, not CPU)")
    print("functions (inclusive share of samples):")
    for name, n in inclusive.most_common(70):
        if not name.startswith("Thread.") and "_bootstrap" not in name:
            print(f"  {n / total:6.1%}  {name}")
    print("lines where samples were taken:")
    for name, n in lines.most_common(40):
        print(f"  {n / total:6.1%}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=9)
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "spy.txt"
        run = sample(args.py_spy, args.seconds, raw)
        print(f"heartbeats under py-spy: {run.rate:,.0f}/s, {run.cpu_ms:.2f} ms server CPU each, "
              f"p99 {run.p99_ms:.0f} ms (load average {os.getloadavg()[0]:.1f})")
        summary(raw)


if __name__ == "__main__":
    main()
