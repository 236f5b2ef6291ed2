# Types for the part of Flask-WTF that Qiuxue's typed modules use: the library ships no types, and an untyped
# `csrf.exempt` would make every view it decorates untyped (mypy_path in pyproject.toml points here). Forms stay
# untyped (WTForms ships no types either): FlaskForm is Any, as before.
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask

_V = TypeVar("_V", bound=Callable[..., Any] | Blueprint)

class CSRFProtect:
    def __init__(self, app: Flask | None = None) -> None: ...
    def init_app(self, app: Flask) -> None: ...
    def exempt(self, view: _V) -> _V: ...
    def protect(self) -> None: ...

FlaskForm: Any
Form: Any
