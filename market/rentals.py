"""Rental offers as units and the warehouse see them (租赁报价): the vendor, the price, and the units still free
on the coming days once the rentals already promised are counted (the same bookings the matcher reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from market.access import visible
from market.models import Category, RentalOffer, RentalVendor, User, utcnow
from market.orders import rentals_out

HORIZON_DAYS = 42  # six weeks ahead: long enough to plan a meeting, short enough to read


@dataclass
class OfferView:
    offer: RentalOffer
    vendor: RentalVendor
    category: Category
    out: list[tuple[date, date, int]]  # rentals promised and not yet back: first day, last day, units
    periods: list[tuple[date, date, int, int | None]]  # the coming days in runs alike: (from, to, promised, free)


def offer_page(db: Session, actor: User | None, offer_id: int, today: date | None = None) -> OfferView:
    offer = visible(db, actor, RentalOffer, offer_id)
    today = today or utcnow().date()
    out = rentals_out(db, [offer.id], today).get(offer.id, [])
    periods: list[tuple[date, date, int, int | None]] = []
    for i in range(HORIZON_DAYS):
        d = today + timedelta(days=i)
        taken = sum(q for s, e, q in out if s <= d <= e)
        free = None if offer.capacity is None else max(0, offer.capacity - taken)
        if periods and periods[-1][2:] == (taken, free):
            periods[-1] = (periods[-1][0], d, taken, free)
        else:
            periods.append((d, d, taken, free))
    return OfferView(offer, db.get(RentalVendor, offer.vendor_id), db.get(Category, offer.category_id), out, periods)
