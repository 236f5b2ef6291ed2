"""The programme's calendar day is Beijing's (Asia/Shanghai): a graduation dated "tomorrow" is refused by
Beijing's today, not by the server's UTC date, which lags eight hours behind every evening."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")


def today(now: datetime | None = None) -> date:
    """Today in Beijing; `now` (timezone-aware) for a given instant."""
    return (now or datetime.now(UTC)).astimezone(ZONE).date()
