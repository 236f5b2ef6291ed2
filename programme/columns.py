"""Column types the programme's models share."""

from __future__ import annotations

import enum

from sqlalchemy import Enum


def string_enum(e: type[enum.Enum], name: str) -> Enum:
    """Plain strings with a CHECK constraint, as app/accounts/models.py stores its enums."""
    return Enum(e, name=name, native_enum=False, create_constraint=True, length=32,
                values_callable=lambda members: [m.value for m in members])
