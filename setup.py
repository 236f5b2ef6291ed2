"""The build step setup.cfg cannot declare: a wheel that runs the site on its own.

The site reads `static/` and `migrations/` from disk; in a checkout they lie beside the packages, and the wheel has
no such place, so the build copies them into the `app` package (found there by app/resources.py). The English
catalog is compiled here too (`.mo` files are build output, never committed), so an installed site speaks English
with no `pybabel` step. An editable install reads the checkout, where `make` compiles the catalogs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLED = ("static", "migrations")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


def compile_catalogs(package_dir: Path) -> list[str]:
    """Every translations/<locale>/LC_MESSAGES/*.po under `package_dir` to its .mo, as `pybabel compile` does
    (fuzzy entries left out)."""
    written = []
    for po in sorted(package_dir.glob("*/translations/*/LC_MESSAGES/*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        written.append(str(mo))
    return written


class BuildWithSiteFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        build_lib = Path(self.build_lib)
        for name in BUNDLED:
            target = build_lib / "app" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(HERE / name, target, ignore=SKIP)
        compile_catalogs(build_lib)


setup(cmdclass={"build_py": BuildWithSiteFiles})
