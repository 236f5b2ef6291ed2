"""A short name for a device that turned push on, from the User-Agent it subscribed with ("Chrome · Android"),
so that a person can tell their phone from a device they do not know on 我的消息 and remove that one. Pure: no
app, no database."""

from __future__ import annotations

# (marker in the User-Agent, name shown), first match wins: browsers built on Chrome say "Chrome" too, and
# Chrome says "Safari", so the more particular ones come first
BROWSERS: tuple[tuple[str, str], ...] = (
    ("MicroMessenger", "WeChat"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("Edg/", "Edge"),
    ("HuaweiBrowser", "Huawei Browser"), ("MiuiBrowser", "Mi Browser"), ("HeyTapBrowser", "HeyTap Browser"),
    ("VivoBrowser", "vivo Browser"), ("UCBrowser", "UC Browser"), ("QQBrowser", "QQ Browser"), ("Quark", "Quark"),
    ("SamsungBrowser", "Samsung Internet"), ("OPR/", "Opera"), ("FxiOS", "Firefox"), ("Firefox/", "Firefox"),
    ("CriOS", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
)
SYSTEMS: tuple[tuple[str, str], ...] = (
    ("HarmonyOS", "HarmonyOS"), ("OpenHarmony", "HarmonyOS"), ("Android", "Android"), ("iPhone", "iPhone"),
    ("iPad", "iPad"), ("CrOS", "ChromeOS"), ("Windows", "Windows"), ("Macintosh", "Mac"), ("Linux", "Linux"),
)


def label(user_agent: str) -> str | None:
    """"Chrome · Android", or the one of the two that is known; None when neither is (the page numbers it)."""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    return " · ".join(part for part in (browser, system) if part) or None
