"""A progress heartbeat's body, checked at the edge: shape, types and ranges of every field at once, so that no
value the columns cannot hold (lessons.id is a 32-bit integer; the client clock and seq fit JavaScript's exact
integers) or no lesson or epoch second can be reaches the database, and a bad body is a 400 with a code."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.errors import Invalid
from learning import progress

MAX_INTERVALS = 200
MAX_ID = 2**31 - 1
MAX_EXACT = 2**53
MAX_SECONDS = 1e11


@dataclass(frozen=True)
class Heartbeat:
    lesson_id: int
    position_s: float
    watched: tuple[progress.Interval, ...]
    client_ms: int
    seq: int
    at_end: bool = False  # reading lessons: the end of the text was on screen
    sent_ms: int | None = None  # the client's clock when it sent the request (the offline queue's replays)


def _number(value: Any, limit: float = MAX_SECONDS) -> float | None:
    """A finite JSON number within ±limit; huge integers, NaN, infinities, strings and booleans are not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int):
        return float(value) if -limit <= value <= limit else None
    return value if math.isfinite(value) and -limit <= value <= limit else None


def _whole(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _intervals(raw: Any) -> tuple[progress.Interval, ...] | None:
    if not isinstance(raw, list) or len(raw) > MAX_INTERVALS:
        return None
    spans = []
    for pair in raw:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            return None
        start, end = _number(pair[0]), _number(pair[1])
        if start is None or end is None:
            return None
        spans.append((start, end))
    return tuple(spans)


def parse(body: Any) -> Heartbeat:
    """Shape, types and ranges first, all fields at once; the rules that need the lesson come later."""
    if not isinstance(body, dict):
        raise Invalid(_("请求内容必须是JSON对象。"), code="bad_heartbeat")
    errors = {}
    lesson_id, seq = _whole(body.get("lesson_id"), 1, MAX_ID), _whole(body.get("seq"), 0, MAX_EXACT)
    client = _number(body.get("client_time"), MAX_EXACT)
    if lesson_id is None:
        errors["lesson_id"] = _("课时编号必须是正整数。")
    position = _number(body.get("position_s"))
    if position is None:
        errors["position_s"] = _("播放位置必须是数字（秒）。")
    watched = _intervals(body.get("watched", []))
    if watched is None:
        errors["watched"] = _("观看区间必须是[开始, 结束]秒数的列表，最多%(n)d个。", n=MAX_INTERVALS)
    if client is None or client <= 0:
        errors["client_time"] = _("客户端时间必须是毫秒时间戳。")
    sent = _number(body.get("sent_time"), MAX_EXACT) if body.get("sent_time") is not None else 1.0
    if sent is None or sent <= 0:
        errors["sent_time"] = _("客户端时间必须是毫秒时间戳。")
    if seq is None:
        errors["seq"] = _("序号必须是非负整数。")
    at_end = body.get("at_end", False)
    if not isinstance(at_end, bool):
        errors["at_end"] = _("at_end 必须是 true 或 false。")
    if errors:
        raise Invalid(_("学习进度的格式不对。"), code="bad_heartbeat", fields=errors)
    sent_ms = int(sent) if body.get("sent_time") is not None else None  # type: ignore[arg-type]
    return Heartbeat(lesson_id, position, watched, int(client), seq, at_end, sent_ms)  # type: ignore[arg-type]
