"""The kind of device a browser runs on, from its User-Agent: stored once per enrolment for the course analytics
(never per heartbeat). Coarse on purpose: phone, tablet or computer; None when the header says nothing useful."""

from __future__ import annotations

PHONE, TABLET, COMPUTER = "phone", "tablet", "computer"
KINDS = (PHONE, TABLET, COMPUTER)

_TABLET = ("ipad", "tablet", "kindle", "silk/", "playbook")
_PHONE = ("iphone", "ipod", "windows phone", "mobile", "micromessenger", "harmonyos")
_COMPUTER = ("windows nt", "macintosh", "x11", "cros", "linux x86_64")


def device_class(user_agent: str | None) -> str | None:
    """phone, tablet, computer or None. Android without "Mobile" is a tablet (Google's own rule)."""
    text = (user_agent or "").lower()
    if not text:
        return None
    if any(mark in text for mark in _TABLET) or ("android" in text and "mobile" not in text):
        return TABLET
    if any(mark in text for mark in _PHONE) or "android" in text:
        return PHONE
    if any(mark in text for mark in _COMPUTER):
        return COMPUTER
    return None
