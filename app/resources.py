"""Where the site's own files are: the static folder and the migrations.

In a checkout (and an editable install) they live beside the packages, `static/` and `migrations/`; the wheel has no
such place, so its build copies them into the `app` package (setup.py). Looking inside the package first means an
installed site never reads a checkout that happens to lie next to it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def folder(name: str) -> Path:
    """`static` or `migrations`: the copy in the installed package, else the checkout's."""
    bundled = PACKAGE / name
    return bundled if bundled.is_dir() else CHECKOUT / name
