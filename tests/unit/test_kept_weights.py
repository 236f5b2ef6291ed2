"""What a kept value is counted as against its store's byte limit (app/sharedparts.py `weight`): numbers, times and
small tuples of them for what they hold, not 4 KB each (a viewer's three yes-or-no answers on a resource page were
counted 12 KB, so the store for people's own pieces held a sixth of what it could)."""

import sys
from datetime import UTC, datetime

from app.kept_rows import OBJECT_BYTES, weight


def test_numbers_times_and_their_tuples_count_what_they_hold():
    answers = (True, False, True)
    assert weight(answers) == sys.getsizeof(answers) + 3 * sys.getsizeof(True) < OBJECT_BYTES
    state = (True, datetime(2026, 12, 4, tzinfo=UTC), frozenset({1, 2, 3}), None)
    assert weight(state) < OBJECT_BYTES
    assert weight(12345) == sys.getsizeof(12345) and weight(1.5) == sys.getsizeof(1.5)


def test_text_and_other_objects_are_counted_as_before():
    assert weight("课时" * 100) == sys.getsizeof("课时" * 100)
    assert weight(object()) == OBJECT_BYTES
    assert weight({"a": object()}) == sys.getsizeof({"a": 1}) + OBJECT_BYTES
