"""The speeds the player offers, in the kernel because two domains share them: media/player.py renders its buttons
from them, and learning's trust rules (learning.progress) allow no faster playback than the fastest, so adding a
faster button here raises the limit with it, and nowhere else can. Pure: no Flask, no database."""

from __future__ import annotations

PLAYER_SPEEDS = (0.75, 1.0, 1.25, 1.5, 2.0)
