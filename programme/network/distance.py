"""How far a worker is from a point, from two pairs of WGS-84 degrees, and the list ordered by it: pure, no app
and no map service (the phone gives its own position; the points' coordinates were typed in when registered)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, TypeVar

EARTH_RADIUS_KM = 6371.0088


class Located(Protocol):
    @property
    def latitude(self) -> float | None: ...

    @property
    def longitude(self) -> float | None: ...


P = TypeVar("P", bound=Located)


def km_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine): within 0.5% on a city's scale, which is all a list needs."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def valid_position(lat: float | None, lng: float | None) -> bool:
    return (lat is not None and lng is not None and math.isfinite(lat) and math.isfinite(lng)
            and -90 <= lat <= 90 and -180 <= lng <= 180)


def by_distance(points: Sequence[P], lat: float, lng: float) -> list[tuple[P, float | None]]:
    """Each point with its distance in km, nearest first; points without coordinates last, in their given order."""
    measured = [(p, km_between(lat, lng, p.latitude, p.longitude)) for p in points
                if p.latitude is not None and p.longitude is not None]
    unmeasured: list[tuple[P, float | None]] = [(p, None) for p in points if p.latitude is None or p.longitude is None]
    return [*sorted(measured, key=lambda pair: pair[1]), *unmeasured]
