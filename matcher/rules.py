"""The feasibility and cost rules of docs/matching.md shared by the solver and the checker."""

from __future__ import annotations

from .capacity import Capacity, booking_tuples
from .geo import haversine_km
from .problem import Lot, Offer, Problem, Request


def serves_kind(lot: Lot, req: Request) -> bool:
    """Rule 3's ``serves``: a "loan" lot serves loans only, a "transfer" lot permanent requests only."""
    return lot.serves == "any" or lot.serves == ("transfer" if req.permanent else "loan")


def lot_can_serve(problem: Problem, lot: Lot, req: Request) -> bool:
    """Rules 1 and 3: same category, the lot serves this kind of request, and every busy day inside
    the lot's availability window."""
    if lot.category != req.category or not serves_kind(lot, req):
        return False
    if lot.available_from is not None and req.start < lot.available_from:
        return False
    if lot.available_until is not None:
        busy_end = problem.busy_end(req)
        if busy_end is None or busy_end > lot.available_until:
            return False
    return True


def lot_capacity(lot: Lot) -> Capacity:
    """Rule 4: the lot's quantity less what its bookings hold, day by day."""
    return Capacity(lot.quantity, booking_tuples(lot.booked))


def offer_capacity(offer: Offer) -> Capacity | None:
    """Rule 5: the offer's capacity less what its bookings hold, day by day; None when unlimited."""
    return None if offer.capacity is None else Capacity(offer.capacity, booking_tuples(offer.booked))


def lot_km(lot: Lot, req: Request) -> float:
    return haversine_km(lot.lat, lot.lon, req.lat, req.lon)


def offer_km(offer: Offer, req: Request) -> float:
    return haversine_km(offer.lat, offer.lon, req.lat, req.lon)


def lot_unit_parts(problem: Problem, lot: Lot, req: Request) -> tuple[float, float]:
    """(handling, transport) per unit from ``lot`` to ``req``."""
    return lot.handling_cost, problem.rate(req.category) * lot_km(lot, req)


def offer_unit_parts(problem: Problem, offer: Offer, req: Request) -> tuple[float, float]:
    """(rental, transport) per unit from ``offer`` to ``req`` (delivery fee excluded)."""
    return offer.price_per_unit_day * req.days, problem.rate(req.category) * offer_km(offer, req)
