"""The feasibility and cost rules of docs/matching.md shared by the solver and the checker."""

from __future__ import annotations

from .geo import haversine_km
from .problem import Lot, Offer, Problem, Request


def lot_can_serve(problem: Problem, lot: Lot, req: Request) -> bool:
    """Rules 1 and 3: same category, and every busy day inside the lot's availability window."""
    if lot.category != req.category:
        return False
    if lot.available_from is not None and req.start < lot.available_from:
        return False
    if lot.available_until is not None:
        busy_end = problem.busy_end(req)
        if busy_end is None or busy_end > lot.available_until:
            return False
    return True


def offer_can_serve(offer: Offer, req: Request) -> bool:
    """Rules 1 and 5: same category, loans only."""
    return offer.category == req.category and not req.permanent


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
