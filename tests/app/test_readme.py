"""The README is the user's manual: it must name every configuration key."""

from app import ROOT
from app.config import ENV_PREFIX, SETTINGS


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [ENV_PREFIX + s.key for s in SETTINGS if f"`{ENV_PREFIX}{s.key}`" not in readme]
    assert not missing, f"add these to the README's configuration table (`qiuxue config --markdown`): {missing}"


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
