"""tus uploads on their own: a file sent with tuspy (the Python tus client) to `qiuxue serve` as it runs by default
(granian, one process × 8 threads; `--server one`), or with `--workers 2 --threads 4` (`--server granian`), or
`--server waitress` (one process; the default before 2026-12-05) on 127.0.0.1, next to a local
file copy + fsync of the same file (the baseline), in alternating rounds of one run. With `--before DIR` (a
checkout of older code, e.g. made with `git archive <commit> | tar -x -C DIR`), a second server runs that code
on the same database and takes its turn in each round, so before and after are measured side by side. Quick
(about 20 s with the defaults).
Each server's CPU per upload (its processes' user + system time from /proc, Linux) is printed too: on a shared
machine it moves less than the wall time. Each round also sends the file with tuspy to a sink that answers at once
and keeps nothing (SINK): the client's own floor, the best any server could do with this client and chunk size.

With `--client browser` the file is sent the way a user sends it: by the upload page's own tus-js-client in
Debian's Chromium (Playwright, headless), the time taken inside the page from the upload's start to its success;
the sink then has no row (it speaks no CORS and serves no page).

    .venv/bin/python bench/tus_upload.py [--mb 64] [--rounds 3] [--chunk-mib 8] [--server one|granian|waitress]
        [--client tuspy|browser] [--before DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402

PASSWORD = "bench-password-1"
SERVERS = {"one": "granian (qiuxue serve: 1 process × 8 threads)",
           "granian": "granian (qiuxue serve --workers 2 --threads 4)",
           "waitress": "waitress (qiuxue serve --server waitress, 1 process × 8 threads)"}
SERVER = """
import sys
from app import create_app
from app.server import serve_granian, serve_waitress
if sys.argv[2] == "waitress":
    serve_waitress(create_app(), "127.0.0.1", int(sys.argv[1]), 8)
else:  # `qiuxue serve` (one process × 8 threads), or `--workers 2 --threads 4`
    serve_granian("127.0.0.1", int(sys.argv[1]), *((1, 8) if sys.argv[2] == "one" else (2, 4)))
"""
SINK = r"""
# The client's floor: a tus server that answers at once and throws the bytes away (no Python web stack, no
# disk), one thread per connection: what tuspy and the loopback cost on their own.
import socket, sys, threading

def serve(conn):
    buffer, room = b"", bytearray(1024 * 1024)
    with conn:
        while True:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            length = int(fields.get("content-length", 0))
            left, buffer = length - len(buffer[:length]), buffer[length:]
            while left > 0:
                got = conn.recv_into(room, min(left, len(room)))
                if not got:
                    return
                left -= got
            if lines[0].startswith("POST"):
                answer = "201 Created\r\nLocation: /files/1\r\nUpload-Offset: 0"
            else:
                answer = f"204 No Content\r\nUpload-Offset: {int(fields.get('upload-offset', 0)) + length}"
            conn.sendall(f"HTTP/1.1 {answer}\r\nTus-Resumable: 1.0.0\r\nContent-Length: 0\r\n\r\n".encode())

listener = socket.create_server(("127.0.0.1", int(sys.argv[1])), backlog=64)
while True:
    threading.Thread(target=serve, args=(listener.accept()[0],), daemon=True).start()
"""


def populate(data_dir: str) -> None:
    """An institution and one of its staff, who may upload."""
    from app import create_app
    from app.accounts import organisations, service
    from app.accounts.models import OrgKind, Role
    from app.accounts.policy import SYSTEM
    from app.extensions import db

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench", "PASSWORD_HASH": "pbkdf2:sha256:1000"})
    with app.app_context():
        db.create_all()
        organisations.seed_zhejiang(db.session)
        org = organisations.create_organisation(db.session, SYSTEM, parent_code="330100", code="INST-BENCH",
                                                name="基准测试学院", kind=OrgKind.institution)
        service.create_user(db.session, SYSTEM, phone="13700000001", name="bench", role=Role.institution_staff,
                            org=org, password=PASSWORD)
        db.session.commit()
        db.engine.dispose()


def signed_in(url: str):  # -> requests.Session
    import requests

    http = requests.Session()
    page = http.get(f"{url}/auth/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = http.post(f"{url}/auth/login", data={"csrf_token": token, "phone": "13700000001",
                                                  "password": PASSWORD}, allow_redirects=False)
    assert answer.status_code == 302, answer.status_code
    return http


def upload(url: str, http, path: Path, chunk: int) -> float:
    """Seconds to send the whole file with tuspy; the upload is then deleted (tus termination). Without a
    signed-in `http` session: to the sink (SINK), which keeps nothing."""
    from tusclient import client as tus_client

    cookie = "; ".join(f"{c.name}={c.value}" for c in http.cookies) if http else ""
    uploader = tus_client.TusClient(f"{url}/api/v1/uploads/", headers={"Cookie": cookie}).uploader(
        str(path), chunk_size=chunk, metadata={"filename": path.name})
    started = time.perf_counter()
    uploader.upload()
    elapsed = time.perf_counter() - started
    assert uploader.offset == path.stat().st_size
    if http:
        http.delete(uploader.url, headers={"Tus-Resumable": "1.0.0"}).raise_for_status()
    return elapsed


# In the upload page: its tus-js-client sends the chosen file, as static/js/upload.js does, and says how long it took.
BROWSER_UPLOAD = """async (chunk) => {
  const file = document.getElementById("upload-file").files[0];
  const endpoint = document.querySelector("[data-upload]").getAttribute("data-endpoint");
  return await new Promise((resolve, reject) => {
    const started = performance.now();
    const upload = new window.tus.Upload(file, {
      endpoint: endpoint, chunkSize: chunk, metadata: {filename: file.name, filetype: file.type},
      storeFingerprintForResuming: false,
      onError: (error) => reject(String(error)),
      onSuccess: () => resolve([performance.now() - started, upload.url]),
    });
    upload.start();
  });
}"""


class BrowserClient:
    """Debian's Chromium with one upload page open per server, the file already chosen in it."""

    def __init__(self, path: Path) -> None:
        from playwright.sync_api import sync_playwright

        executable = os.environ.get("QIUXUE_CHROMIUM") or shutil.which("chromium")
        if not executable:
            sys.exit("--client browser needs chromium (Debian: apt-get install chromium)")
        self.path, self.pages = path, {}
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=executable, headless=True,
                                                       args=["--no-sandbox", "--disable-gpu"])

    def upload(self, url: str, http, chunk: int) -> float:
        if url not in self.pages:
            context = self.browser.new_context()
            context.add_cookies([{"name": c.name, "value": c.value, "url": url} for c in http.cookies])
            page = context.new_page()
            page.goto(f"{url}/media/upload")
            page.set_input_files("#upload-file", str(self.path))
            self.pages[url] = page
        elapsed_ms, location = self.pages[url].evaluate(BROWSER_UPLOAD, chunk)
        http.delete(urljoin(url, location), headers={"Tus-Resumable": "1.0.0"}).raise_for_status()
        return elapsed_ms / 1000

    def close(self) -> None:
        self.browser.close()
        self.playwright.stop()


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by a server's process and its children (granian's workers); 0 without /proc."""
    total, pending = 0.0, [pid]
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    while pending:
        current = pending.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def copy_time(path: Path, scratch: Path) -> float:
    target = scratch / "copy.bin"
    started = time.perf_counter()
    shutil.copyfile(path, target)
    with open(target, "rb+") as fh:
        os.fsync(fh.fileno())  # the upload fsyncs what it received; so does the baseline
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk-mib", type=int, default=8)
    parser.add_argument("--server", choices=list(SERVERS), default="one",
                        help="; ".join(f"{key}: {name}" for key, name in SERVERS.items()))
    parser.add_argument("--client", choices=["tuspy", "browser"], default="tuspy",
                        help="tuspy, or the upload page's tus-js-client in Chromium (what a user sends with)")
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with, run alongside")
    parser.add_argument("--json", action="store_true", help="print one JSON line of ratios (bench/check.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qiuxue-tus-bench-") as tmp:
        scratch = Path(tmp)
        populate(str(scratch / "data"))
        source = scratch / "source.bin"
        with open(source, "wb") as fh:
            for _ in range(args.mb):
                fh.write(os.urandom(1024 * 1024))
        env = {"QIUXUE_DATA_DIR": str(scratch / "data"), "QIUXUE_SECRET_KEY": "bench",
               "QIUXUE_MEDIA_WORKER": "external"}
        codes = {"now": ROOT, **({"before": args.before.resolve()} if args.before else {})}
        servers, urls = [], {}
        browser = BrowserClient(source) if args.client == "browser" else None
        try:
            for name, checkout in codes.items():
                port = loadgen.free_port()
                servers.append(loadgen.serve(SERVER, [str(port), args.server], port, env=env, cwd=checkout))
                urls[name] = f"http://127.0.0.1:{port}"
            sessions = {name: signed_in(url) for name, url in urls.items()}
            if browser is None:
                port = loadgen.free_port()
                servers.append(loadgen.serve(SINK, [str(port)], port))
                urls["floor"], sessions["floor"] = f"http://127.0.0.1:{port}", None

            def send(name: str) -> float:
                chunk = args.chunk_mib * 1024 * 1024
                if browser is not None:
                    return browser.upload(urls[name], sessions[name], chunk)
                return upload(urls[name], sessions[name], source, chunk)

            times: dict[str, list[float]] = {"copy": [], **{name: [] for name in urls}}
            cpu: dict[str, list[float]] = {name: [] for name in urls if name != "floor"}
            pids = dict(zip(urls, (server.pid for server in servers), strict=True))
            for name in urls:  # warm up each server
                send(name)
            for _ in range(args.rounds):  # alternating, so the machine's other load hits each alike
                times["copy"].append(copy_time(source, scratch))
                for name in urls:
                    used = server_cpu(pids[name])
                    times[name].append(send(name))
                    if name in cpu:
                        cpu[name].append(server_cpu(pids[name]) - used)
        finally:
            if browser is not None:
                browser.close()
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    report(times, cpu, args)


def report(times: dict[str, list[float]], cpu: dict[str, list[float]], args: argparse.Namespace) -> None:
    copy = statistics.median(times["copy"])
    if args.json:
        key = "tus_vs_copy" if args.server == "waitress" else f"tus_{args.server}_vs_copy"  # as bench/baseline.json
        print(json.dumps({key: round(copy / statistics.median(times["now"]), 3)}))
        return
    server = SERVERS[args.server]
    client = "the upload page's tus-js-client in Chromium" if args.client == "browser" else "tuspy"
    print(f"{args.mb} MB of random bytes, {client} with {args.chunk_mib} MiB chunks to {server} on 127.0.0.1; "
          f"median of {args.rounds} alternating rounds; load average {os.getloadavg()[0]:.1f} at the end.")
    print("| what | seconds (each round) | MB/s | vs copy | server CPU s per upload (each round) |")
    print("| --- | --- | --- | --- | --- |")
    labels = {"copy": "local file copy + fsync (baseline)", "now": "tus upload, this code",
              "before": f"tus upload, code in {args.before}",
              "floor": "tuspy to a sink that keeps nothing (the client's and loopback's floor)"}
    for name, runs in times.items():
        median = statistics.median(runs)
        each = ", ".join(f"{t:.3f}" for t in runs)
        used = f"{statistics.median(cpu[name]):.2f} ({', '.join(f'{t:.2f}' for t in cpu[name])})" if name in cpu else ""
        print(f"| {labels[name]} | {median:.3f} ({each}) | {args.mb * 1.048576 / median:.0f} | {copy / median:.2f} "
              f"| {used} |")


if __name__ == "__main__":
    main()
