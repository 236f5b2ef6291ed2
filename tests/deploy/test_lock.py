"""requirements/deploy.txt is the lock of what setup.cfg asks for: every dependency of the site (and of the extras
a deployment installs) pinned to one version that setup.cfg allows, with hashes. After a change to setup.cfg's
dependencies this fails until `make lock` is run. And deploy/audit.py's verdict on pip-audit's report."""

from __future__ import annotations

import configparser
import importlib.util
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements" / "deploy.txt"
DEPLOY_EXTRAS = ("postgres", "s3", "redis")  # as the Makefile's DEPLOY_EXTRAS
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)")


def _declared() -> list[Requirement]:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = cfg["options"]["install_requires"].splitlines()
    for extra in DEPLOY_EXTRAS:
        lines += cfg["options.extras_require"][extra].splitlines()
    return [Requirement(line) for line in lines if line.strip()]


def _locked() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)"""
    pins: dict[str, tuple[str, int]] = {}
    name = ""
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            name = canonicalize_name(match["name"])
            pins[name] = (match["version"], 0)
        elif line.strip().startswith("--hash=sha256:") and name:
            pins[name] = (pins[name][0], pins[name][1] + 1)
    return pins


def test_every_declared_dependency_is_locked_with_hashes():
    locked = _locked()
    assert locked, "requirements/deploy.txt pins nothing"
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements/deploy.txt: run `make lock`"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), \
            f"{name}=={version} is outside setup.cfg's {requirement.specifier}: run `make lock`"
        assert hashes >= 1, f"{name} has no hash"
    assert all(hashes >= 1 for _version, hashes in locked.values())
    assert "qiuxue" not in locked  # the site itself is installed from its wheel, with --no-deps


def _audit():
    spec = importlib.util.spec_from_file_location("deploy_audit", ROOT / "deploy" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_audit_fails_on_a_known_vulnerability_and_never_counts_a_skipped_package_as_safe():
    judge = _audit().judge
    report = {"dependencies": [
        {"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]},
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "whoosh-reloaded", "skip_reason": "Dependency not found on PyPI"},
    ], "fixes": []}
    found, skipped, audited = judge(report)
    assert found == ["jinja2 2.10: PYSEC-2019-217 (fixed in 2.10.1)"]
    assert skipped == ["whoosh-reloaded: Dependency not found on PyPI"]
    assert audited == 2
    assert judge({"dependencies": [{"name": "flask", "skip_reason": "not found"}]})[2] == 0
