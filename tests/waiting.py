"""Waiting for something another process or the browser does: poll until it holds or a generous deadline
passes (a busy machine is slow, not wrong)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_until(condition: Callable[[], Any], seconds: float = 60.0, every: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def wait_in_page(page: Any, script: str, tries: int = 300) -> None:
    """Evaluate `script` in the page every 0.1 s until it is true (wait_for_function evaluates strings, which the
    site's CSP rightly forbids)."""
    for _ in range(tries):
        if page.evaluate(script):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")
