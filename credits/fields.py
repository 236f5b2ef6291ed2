"""Values from forms and JSON shared by recognition, the conversion table and pathways: a credit amount and a
line of text, each adding its message to the caller's `errors` so that every field is reported at once."""

from __future__ import annotations

import math
from typing import Any

from flask_babel import gettext as _

MAX_CREDITS = 200.0


def parse_credits(raw: Any, field: str, errors: dict[str, str], *, positive: bool = False) -> float:
    """A credit amount from a form or JSON: a finite number, not negative (or > 0), at most MAX_CREDITS."""
    try:
        value = float(str(raw).strip()) if str(raw).strip() else 0.0
    except ValueError:
        errors[field] = _("学分应是数字。")
        return 0.0
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        errors[field] = _("学分应大于0。") if positive else _("学分不能是负数。")
    elif value > MAX_CREDITS:
        errors[field] = _("学分不能超过%(n)d。", n=int(MAX_CREDITS))
    return round(value, 2)


def text(raw: Any, field: str, limit: int, errors: dict[str, str], *, required: bool = False) -> str:
    """Whitespace collapsed; required and at most `limit` characters."""
    value = " ".join(str(raw or "").split())
    if required and not value:
        errors[field] = _("请填写此项。")
    elif len(value) > limit:
        errors[field] = _("不能超过%(n)d个字。", n=limit)
    return value
