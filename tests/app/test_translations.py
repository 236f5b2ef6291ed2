"""Every UI string is translatable and translated: message ids are the Chinese texts, and the
English catalog must have each one (run `make messages` after adding text, then translate)."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app import ROOT

METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _source_ids() -> set[str]:
    ids: set[str] = set()
    for package in ("app", "catalog", "search", "media", "learning", "programme"):
        for _file, _line, message, _comments, _context in extract_from_dir(
                str(ROOT / package), METHODS, keywords=KEYWORDS):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_message_has_an_english_translation():
    with Path(ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_source_ids() - translated)
    assert not missing, f"{len(missing)} strings lack English (run `make messages`): {missing[:20]}"


def test_placeholders_survive_translation():
    with Path(ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        catalog = read_po(fh)
    import re
    for m in catalog:
        if m.id and m.string:
            assert set(re.findall(r"%\(\w+\)\w", m.id)) == set(re.findall(r"%\(\w+\)\w", m.string)), m.id


def test_a_language_spoken_outside_a_request_is_the_one_asked_for_even_inside_another(app):
    """app.i18n.speaking (the heartbeat's own path and its writer thread): the default language is not forced when
    nothing else is, but is when another language is in force around it."""
    import contextlib

    from flask_babel import gettext

    from app.i18n import speaking

    with app.app_context():
        assert isinstance(speaking("zh_CN"), contextlib.nullcontext)  # nothing to do: the default, nothing forced
        assert gettext("离线") == "离线"
        with speaking("en"):
            assert gettext("离线") == "Offline"
            with speaking("zh_CN"):
                assert gettext("离线") == "离线"
            assert gettext("离线") == "Offline"
        with speaking("zh_CN"):
            assert gettext("离线") == "离线"
    with app.test_request_context(headers={"Cookie": "lang=en"}), speaking("zh_CN"):
        assert gettext("离线") == "离线"  # a request's own language is overridden too
