"""The built wheel runs the site on its own: built (sdist, then the wheel from it, as a deployment would), installed
into a fresh virtual environment, and run from an empty folder with no checkout on the path. Its dependencies are
those of this test's environment, seen through a path file (installing them again would take minutes); the wheel
itself goes in with pip, as `pip install qiuxue-*.whl` would put it."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import TEST_DATABASE_URL
from tests.hosts import serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="the venv layout below is the POSIX one"),
    pytest.mark.skipif(importlib.util.find_spec("build") is None, reason="needs `build` (the dev extras)"),
    pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the wheel does not depend on the database: checked once, "
                                                       "in the SQLite pass"),
]
CHECKOUT = Path(__file__).resolve().parents[2]
# What a build never reads: local state, caches, and the folders no package or MANIFEST.in names
LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "instance", "test-artifacts", "build", "dist", "tests", "bench",
                                  "node_modules", "__pycache__", "*.egg-info", "*.mo", ".*_cache", ".hypothesis")


@dataclass
class Installed:
    venv: Path
    site: Path  # the empty folder the site runs in
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=self.site, env=self.env, capture_output=True, text=True, timeout=timeout,
                              check=False)


@pytest.fixture
def installed(tmp_path: Path) -> Installed:
    source, dist, venv, site = tmp_path / "source", tmp_path / "dist", tmp_path / "venv", tmp_path / "site"
    shutil.copytree(CHECKOUT, source, ignore=LEFT_OUT)  # the build writes egg-info and build/ beside its sources
    built = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
                           capture_output=True, text=True, timeout=300, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = next(dist.glob("qiuxue-*.whl"))

    # nothing of this test's environment leaks in: no PYTHONPATH (the checkout), no QIUXUE_ settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QIUXUE_", "PYTHON", "FLASK_"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60, env=env)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "-q", str(wheel)], check=True, timeout=120, env=env)
    # Only now are the dependencies made visible: a plain path line, so the checkout's editable install (a .pth
    # file in that folder, never processed from here) stays invisible.
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  capture_output=True, text=True, check=True, env=env).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "dependencies-of-the-test.pth").write_text("\n".join(sorted(ours)) + "\n")

    site.mkdir()
    return Installed(venv, site, env)


def _files_come_from_the_wheel(installed: Installed) -> None:
    where = installed.run(str(installed.venv / "bin" / "python"), "-c", (
        "import app, search.analysis as a, app.resources as r, os, sys; "
        "print(app.__file__, r.folder('static'), r.folder('migrations'), a.DICTIONARY, sep='\\n'); "
        "print(*map(os.path.abspath, sys.path), sep='\\n', file=sys.stderr)"))
    assert where.returncode == 0, where.stderr
    package, static, migrations, dictionary = map(Path, where.stdout.split())
    site_packages = installed.venv / "lib"
    for path in (package, static, migrations, dictionary):
        assert path.is_relative_to(site_packages), f"{path} is not inside the installed wheel"
        assert path.exists(), path
    assert str(CHECKOUT) not in where.stderr.splitlines()  # sys.path
    assert (static / "css" / "site.css").read_bytes() == (CHECKOUT / "static" / "css" / "site.css").read_bytes()
    assert sorted(p.name for p in (migrations / "versions").glob("*.py")) == sorted(
        p.name for p in (CHECKOUT / "migrations" / "versions").glob("*.py"))
    assert (package.parent / "translations" / "en" / "LC_MESSAGES" / "messages.mo").is_file()


def test_db_upgrade_then_serve_in_an_empty_folder(installed: Installed):
    """One test, so that a parallel run builds the wheel once."""
    _files_come_from_the_wheel(installed)
    qiuxue = str(installed.venv / "bin" / "qiuxue")
    upgraded = installed.run(qiuxue, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr[-3000:]
    assert (installed.site / "instance" / "app.db").is_file()

    with serving([qiuxue, "serve"], installed.env, cwd=installed.site, log=installed.site / SERVE_LOG) as served:
        base = served.base
        home = requests.get(base + "/", timeout=30)
        assert home.status_code == 200
        # the fingerprinted URL the page links to, served from the wheel's copy of static/
        css = re.search(r'/static/css/site\.[0-9a-f]{10}\.css', home.text)
        assert css, "the home page links no fingerprinted stylesheet"
        sheet = requests.get(base + css.group(0), timeout=10)
        assert sheet.status_code == 200
        assert sheet.content == (CHECKOUT / "static" / "css" / "site.css").read_bytes()
        assert "immutable" in sheet.headers["Cache-Control"]
        assert requests.get(base + "/static/vendor/hls.js/hls.min.js", timeout=10).status_code == 200

        # English, from the catalog compiled into the wheel at build time
        english = requests.Session()
        assert english.get(base + "/lang/en?next=/", timeout=10).status_code == 200
        page = english.get(base + "/", timeout=10)
        assert page.status_code == 200
        assert '<html lang="en"' in page.text
        assert "Search" in page.text and "搜索" not in page.text

        found = requests.get(base + "/search", params={"q": "钢筋工 培训"}, timeout=30)
        assert found.status_code == 200, _served(installed)  # once a 500 under CI's load: say why if it comes back
        assert requests.get(base + "/api/v1/search", params={"q": "电工"}, timeout=30).status_code == 200, \
            _served(installed)
    # stopped, it leaves nothing running: granian's supervisor takes its worker process down with it
    assert served.stopped_cleanly, _served(installed)


SERVE_LOG = "serve.log"  # what `qiuxue serve` printed, for a failure's message


def _served(installed: Installed) -> str:
    return (installed.site / SERVE_LOG).read_text(encoding="utf-8", errors="replace")[-3000:]
