"""One great-circle distance (matcher/geo.py, radius 6371.0 km): the matcher, the proposal's comparison and
both search backends measure the same kilometres."""

from __future__ import annotations

import math

import numpy as np
import pytest

import matcher
import search
from matcher.geo import EARTH_RADIUS_KM, haversine_km, haversine_km_array
from matcher.rules import lot_km, offer_km
from search import SearchQuery
from search.meili import MeiliBackend

ORIGIN = (31.4675, 104.6796)  # the bureau
POINTS = [(31.4521, 104.7012), (31.50, 104.65), (30.6570, 104.0660), (31.4675, 104.6796), (-33.86, 151.21),
          (-31.4675, -75.3204)]  # near, across the city, another city, the same point, far, antipodal


def test_the_radius_is_the_contracts():
    assert EARTH_RADIUS_KM == 6371.0
    # a quarter of a meridian
    assert haversine_km(0.0, 0.0, 90.0, 0.0) == pytest.approx(6371.0 * math.pi / 2, rel=1e-12)


def test_floats_and_arrays_give_the_same_distances():
    lats, lngs = np.array([p[0] for p in POINTS]), np.array([p[1] for p in POINTS])
    many = haversine_km_array(*ORIGIN, lats, lngs)
    for (lat, lng), km in zip(POINTS, many.tolist(), strict=True):
        assert km == pytest.approx(haversine_km(*ORIGIN, lat, lng), rel=1e-12, abs=1e-9)
    assert np.isnan(haversine_km_array(*ORIGIN, np.array([np.nan]), np.array([np.nan]))).all()


def test_the_matcher_measures_with_it():
    problem = matcher.validate({
        "version": 1, "transport": {"per_unit_km": {"*": 1.0}},
        "requests": [{"id": "R1", "category": "A", "quantity": 1, "start": "2027-01-01", "end": "2027-01-01",
                      "location": list(ORIGIN)}],
        "stock": [{"id": f"K{i}", "tier": "warehouse", "category": "A", "quantity": 1, "location": list(p)}
                  for i, p in enumerate(POINTS)],
        "rentals": [{"id": "M1", "category": "A", "price_per_unit_day": 1.0, "delivery_fee": 0.0,
                     "location": list(POINTS[1])}],
    })
    [req] = problem.requests
    assert [lot_km(lot, req) for lot in problem.stock] == [haversine_km(*ORIGIN, *p) for p in POINTS]
    assert offer_km(problem.rentals[0], req) == haversine_km(*ORIGIN, *POINTS[1])


def _docs():
    return [{"id": f"L{i}", "title": "会议椅", "category_code": "A05010201", "tier": "idle", "lat": lat, "lng": lng}
            for i, (lat, lng) in enumerate(POINTS)] + [{"id": "L99", "title": "会议椅", "lat": None, "lng": None}]


def test_the_embedded_index_measures_with_it():
    b = search.open_backend("embedded")
    b.index(_docs())
    r = b.search(SearchQuery(sort="distance", origin=ORIGIN, per_page=100))
    got = {h["id"]: h["distance_km"] for h in r.hits}
    assert got == {f"L{i}": round(haversine_km(*ORIGIN, *p), 3) for i, p in enumerate(POINTS)} | {"L99": None}


class _FakeIndex:
    """What Meilisearch answers for hits it gave no ``_geoDistance`` (a relevance sort)."""

    def search(self, q, params):
        return {"hits": _docs(), "totalHits": len(_docs())}


def test_meilisearch_hits_without_its_distance_are_measured_with_it():
    b = MeiliBackend.__new__(MeiliBackend)  # no server: only the answer's handling is under test
    b.idx = _FakeIndex()
    r = b.search(SearchQuery(q="会议椅", origin=ORIGIN))
    got = {h["id"]: h["distance_km"] for h in r.hits}
    assert got == {f"L{i}": round(haversine_km(*ORIGIN, *p), 3) for i, p in enumerate(POINTS)} | {"L99": None}
