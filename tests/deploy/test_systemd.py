"""deploy/systemd: the web and worker units run the commands docs/deploy.md names, and `systemd-analyze verify`
(where installed) finds nothing wrong in them."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
SHIPPED_BIN = "/opt/qiuxue/venv/bin/qiuxue"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(UNITS / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize(("name", "command"), [("qiuxue-web.service", "serve"), ("qiuxue-worker.service", "worker")])
def test_the_units_run_qiuxue(name: str, command: str):
    unit = _unit(name)
    assert set(unit.sections()) == {"Unit", "Service", "Install"}
    argv = unit["Service"]["ExecStart"].split()
    assert argv[:2] == [SHIPPED_BIN, command]
    assert unit["Service"]["EnvironmentFile"] == "/etc/qiuxue/qiuxue.env"  # the shared secret key and services
    assert unit["Service"]["User"] == "qiuxue"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze on this machine")
@pytest.mark.parametrize("name", ["qiuxue-web.service", "qiuxue-worker.service"])
def test_systemd_analyze_verify(tmp_path: Path, name: str):
    # verify insists that ExecStart's program exists: point it at this environment's own `qiuxue`
    qiuxue = Path(sys.executable).with_name("qiuxue")
    if not qiuxue.exists():
        pytest.skip("no qiuxue command next to this Python")
    (tmp_path / name).write_text((UNITS / name).read_text(encoding="utf-8").replace(SHIPPED_BIN, str(qiuxue)),
                                 encoding="utf-8")
    checked = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / name)], capture_output=True,
                             text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout + checked.stderr == ""  # unknown keys are only warned about
