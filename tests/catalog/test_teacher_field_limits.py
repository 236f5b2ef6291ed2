"""The teachers column of an import (and the resource form) was matched by a pattern whose lazy name and `\\s*`
could both take a run of spaces: one cell of a letter, many spaces and "((" backtracked in quadratic time while
holding the GIL (24 KB: ~9 s; the 120 KB here: minutes). Such an item is now refused before it is matched, and the
pattern gives each space one place to go.

How "quickly" is checked without a wall-clock assertion: a watchdog (SIGALRM after a generous 20 s) interrupts the
import if it is still running. A thread with a join timeout cannot: the regex holds the GIL, so the join returns
only when the match ends; the regular-expression engine does check for signals, so the alarm stops it."""

from __future__ import annotations

import csv
import io
import signal
import time
from collections.abc import Callable
from typing import TypeVar

import pytest

from app.accounts import organisations
from catalog import imports
from catalog.categories import load_menu
from catalog.schemas import validate_resource
from tests import factories

T = TypeVar("T")
WATCHDOG_S = 20
HOSTILE = "a" + " " * 120_000 + "(("  # under the csv module's 128 KB field limit


class _StillRunning(Exception):
    pass


def _within_watchdog(work: Callable[[], T]) -> tuple[T, float]:
    def alarm(_signum, _frame):
        raise _StillRunning(f"still validating after {WATCHDOG_S} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, WATCHDOG_S)
    started = time.perf_counter()
    try:
        return work(), time.perf_counter() - started  # the time is only reported, never asserted on
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _csv(teachers: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["title", "kind", "category", "teachers"],
                                  ["电工基础", "微课", "skills-manufacturing", teachers]])
    return buffer.getvalue().encode()


def test_a_hostile_teachers_cell_is_refused_with_a_field_error(db):
    staff = factories.user("institution_staff", "INST-T1")
    provider = organisations.get_by_code(db.session, "INST-T1")
    report, seconds = _within_watchdog(lambda: imports.import_resources(db.session, staff, provider,
                                                                         _csv(HOSTILE)))
    print(f"import of a {len(HOSTILE)}-character teachers cell: {seconds:.3f} s")
    assert [(e.column, e.message) for e in report.errors] == [("teachers", "教师姓名和职称各不超过50字。")]
    assert report.imported == 0


def test_the_resource_form_refuses_it_too(db):
    (_data, errors), _seconds = _within_watchdog(lambda: validate_resource(
        {"title": "电工基础", "kind": "微课", "category": "skills-manufacturing", "teachers": HOSTILE},
        load_menu(db.session)))
    assert errors == {"teachers": "教师姓名和职称各不超过50字。"}


@pytest.mark.parametrize(("cell", "expected"), [
    ("张三（高级技师）；李四 (副教授)", [("张三", "高级技师"), ("李四", "副教授")]),
    ("Li  Ming  （ 讲师 ）、王五", [("Li  Ming", "讲师"), ("王五", "")]),
    ("赵六(", [("赵六(", "")]),   # no closing bracket: the whole item is the name, as before
])
def test_names_and_titles_still_read(db, cell, expected):
    data, errors = validate_resource({"title": "电工基础", "kind": "微课", "category": "skills-manufacturing",
                                      "teachers": cell}, load_menu(db.session))
    assert errors == {} and data is not None and data.teachers == expected


def test_a_language_code_longer_than_its_column_is_a_field_error(db):
    _data, errors = validate_resource({"title": "电工基础", "kind": "微课", "category": "skills-manufacturing",
                                       "language": "zh-" + "-".join(["abcdefgh"] * 3)}, load_menu(db.session))
    assert errors == {"language": "语言代码最多16个字符。"}
