"""Great-circle distance, the one formula of the product (docs/matching.md: haversine on a sphere of radius
6371.0 km). The matcher, the demo city and both search backends all measure with it.

``haversine_km`` takes floats (``math``: the matcher's many single pairs); ``haversine_km_array`` takes one
point and arrays of points (``numpy``: the search index measures every listing from a searcher at once). Both
are the same ``_haversine`` on a different namespace of functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0


def _haversine(xp: Any, clip: Any, lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """Degrees in, km out. ``xp`` is ``math`` or ``numpy``; ``clip`` keeps the haversine within [0, 1]
    (rounding can leave it a hair outside) and lets NaN through."""
    p1, p2 = xp.radians(lat1), xp.radians(lat2)
    h = xp.sin((p2 - p1) / 2.0) ** 2 + xp.cos(p1) * xp.cos(p2) * xp.sin(xp.radians(lon2 - lon1) / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * xp.asin(xp.sqrt(clip(h)))


def _clip_float(h: float) -> float:
    return min(1.0, max(0.0, h))


def _clip_array(h: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(h, 0.0), 1.0)  # np.clip's values (NaN stays NaN) without its Python layer


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km between two points given in degrees."""
    return _haversine(math, _clip_float, lat1, lon1, lat2, lon2)


def haversine_km_array(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Distance in km from one point to each of ``lats``/``lons`` (degrees; NaN gives NaN)."""
    return _haversine(np, _clip_array, lat, lon, lats, lons)
