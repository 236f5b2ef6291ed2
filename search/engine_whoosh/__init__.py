"""The Whoosh engine behind `search.backend.SearchBackend`: the only package that imports Whoosh (pinned
exactly in setup.cfg; its private names are used only here, each with a test against Whoosh's own behaviour)."""

from search.engine_whoosh.backend import WhooshBackend

__all__ = ["WhooshBackend"]
