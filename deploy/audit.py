"""`make audit`: pip-audit over the hashed lock (requirements/deploy.txt), failing on any known vulnerability.

pip-audit asks a vulnerability service about each pinned version: PyPI's, then OSV's if PyPI's answered for no
package. Where neither answers (offline, or a package mirror without PyPI's JSON API) nothing was audited: that is
said loudly and the step passes, so `make test` still works offline, unless QIUXUE_AUDIT_REQUIRED=1 (a CI with the
network) makes it a failure. A package one service does not know is listed, never counted as safe.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements" / "deploy.txt"
SERVICES = ("pypi", "osv")
# OSV is asked at its own address, package by package: with no name server each query fails on its own (half a minute
# for the lock), so the address is looked up once first. PyPI's answers come through pip's index settings: no check.
HOSTS = {"osv": "api.osv.dev"}


def reachable(service: str) -> bool:
    host = HOSTS.get(service)
    if host is None:
        return True
    try:
        socket.getaddrinfo(host, 443)
    except OSError as error:
        print(f"pip-audit ({service}) did not answer: {host} cannot be found ({error})", file=sys.stderr)
        return False
    return True


def run_pip_audit(lock: Path, service: str) -> dict | None:
    """pip-audit's JSON report, or None when the service could not be reached at all."""
    command = [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "-r", str(lock), "-s", service,
               "-f", "json", "--progress-spinner", "off", "--timeout", "20"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit ({service}) did not answer: {last[:300]}", file=sys.stderr)
        return None


def judge(report: dict) -> tuple[list[str], list[str], int]:
    """(one line per known vulnerability, one per package not audited, packages audited)."""
    found, skipped, audited = [], [], 0
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped.append(f"{dep['name']}: {dep['skip_reason']}")
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            found.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    return found, skipped, audited


def main() -> int:
    for service in SERVICES:
        report = run_pip_audit(LOCK, service) if reachable(service) else None
        if report is None:
            continue
        found, skipped, audited = judge(report)
        if audited == 0:
            print(f"pip-audit ({service}): the service knew none of the {len(skipped)} packages", file=sys.stderr)
            continue
        for line in skipped:
            print(f"not audited: {line}")
        if found:
            print(f"== pip-audit ({service}): {len(found)} known vulnerabilities in {LOCK.name} ==")
            print("\n".join(found))
            print("raise the package in setup.cfg if its cap blocks the fix, then `make lock`")
            return 1
        print(f"== pip-audit ({service}): no known vulnerabilities in {audited} locked packages ==")
        return 0
    print(f"== pip-audit: NOT AUDITED, no vulnerability service answered for {LOCK.name} ==")
    return 1 if os.environ.get("QIUXUE_AUDIT_REQUIRED") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
