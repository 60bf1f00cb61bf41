"""The pool as search documents: one per active listing and per rental offer, built from the ledger.

The index is a projection: ``documents_for`` builds what the index should hold for some listings (or
says they should be removed), ``all_documents`` what it should hold in total (a reindex).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session, select

from market.models import Asset, Category, PoolListing, RentalOffer, RentalVendor, Unit, Warehouse
from search import fields as fd

# A listing's mode (market.models.LISTING_MODES) → the search modes it offers (search/fields.py MODE)
MODES = {**{m: [m] for m in fd.MODE.values}, "both": list(fd.MODE.values)}
CONDITION_ORDER = ["全新", "良好", "一般"]
# rows as the database has them now, not as objects this session loaded earlier left them (a catch-up can run
# in a session that read the same rows before another transaction changed them). The session's own changes are
# flushed before each of these reads (autoflush), so none is lost: documents are never built under
# ``no_autoflush``.
FRESH = {"populate_existing": True}


def _category_paths(db: Session) -> dict[int, tuple[Category, list[str]]]:
    cats = {c.id: c for c in db.exec(select(Category).execution_options(**FRESH))}
    out = {}
    for c in cats.values():
        path, node, seen = [], c, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            path.append(node.name)
            node = cats.get(node.parent_id) if node.parent_id else None
        out[c.id] = (c, list(reversed(path)))
    return out


def documents_for(db: Session, listing_ids: list[int]) -> tuple[list[dict[str, Any]], list[str]]:
    """(documents to upsert, ids to delete) for these listings."""
    if not listing_ids:
        return [], []
    listings = {x.id: x for x in db.exec(select(PoolListing).where(PoolListing.id.in_(listing_ids))
                                         .execution_options(**FRESH))}
    items: dict[int, list[Asset]] = defaultdict(list)
    # the whole lot: items lent or promised for some dates can still serve other dates
    for a in db.exec(select(Asset).where(Asset.listing_id.in_(list(listings)),
                                         Asset.status.in_(["listed", "reserved", "on_loan"]))
                     .execution_options(**FRESH)):
        items[a.listing_id].append(a)
    cats = _category_paths(db)
    units = {u.id: u for u in db.exec(select(Unit).execution_options(**FRESH))}
    warehouses = {w.id: w for w in db.exec(select(Warehouse).execution_options(**FRESH))}
    docs, gone = [], []
    for lid in listing_ids:
        lst = listings.get(lid)
        mine = items.get(lid, [])
        if lst is None or lst.status != "active" or not mine:
            gone.append(f"L{lid}")
            continue
        place = warehouses[lst.warehouse_id] if lst.warehouse_id else units[lst.holder_unit_id]
        cat, path = cats[lst.category_id]
        brand = Counter(a.brand for a in mine).most_common(1)[0][0]
        model = Counter(a.model for a in mine).most_common(1)[0][0]
        photo = next((a.photos[0] for a in mine if a.photos), None)
        docs.append({
            "id": f"L{lst.id}", "title": lst.title, "description": lst.description, "category_code": cat.code,
            "category_name": cat.name, "category_path": path, "brand": brand, "model": model, "tier": lst.tier,
            "holder": place.name, "district": place.district,
            "conditions": [c for c in CONDITION_ORDER if any(a.condition == c for a in mine)],
            "modes": MODES.get(lst.mode, MODES["both"]), "quantity": len(mine),
            "available_now": sum(1 for a in mine if a.status == "listed"),
            "available_from": lst.available_from.isoformat() if lst.available_from else None,
            "available_until": lst.available_until.isoformat() if lst.available_until else None,
            "lat": place.lat, "lng": place.lng, "created_at": lst.created_at.isoformat(), "photo": photo,
        })
    return docs, gone


def offer_documents(db: Session, offer_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The documents of every active offer of an active vendor (of those among ``offer_ids``, if given)."""
    cats = _category_paths(db)
    vendors = {v.id: v for v in db.exec(select(RentalVendor).execution_options(**FRESH))}
    docs = []
    wanted = select(RentalOffer).where(RentalOffer.is_active).execution_options(**FRESH)
    if offer_ids is not None:
        wanted = wanted.where(RentalOffer.id.in_(offer_ids))
    for o in db.exec(wanted):
        v = vendors.get(o.vendor_id)
        if v is None or not v.is_active:
            continue
        cat, path = cats[o.category_id]
        docs.append({
            # the vendor goes in ``holder`` (low weight): a tent company's name must not make its sound
            # systems answer a search for 帐篷
            "id": f"M{o.id}", "title": f"{cat.name}租赁", "description": o.description,
            "category_code": cat.code, "category_name": cat.name, "category_path": path, "brand": "", "model": "",
            "tier": "rental", "holder": v.name, "district": "", "conditions": [], "modes": ["loan"],
            "quantity": o.capacity or 0, "available_from": None, "available_until": None, "lat": v.lat,
            "lng": v.lng, "created_at": None, "photo": None,
            "price_per_unit_day": str(o.price_per_unit_day), "delivery_fee": str(o.delivery_fee),
        })
    return docs


def offer_changes(db: Session, offer_ids: list[int]) -> tuple[list[dict[str, Any]], list[str]]:
    """(documents to upsert, ids to delete) for these rental offers."""
    if not offer_ids:
        return [], []
    docs = offer_documents(db, offer_ids)
    kept = {d["id"] for d in docs}
    return docs, [f"M{i}" for i in offer_ids if f"M{i}" not in kept]


# --- what else a document reads ------------------------------------------------------------------------------
# A document reads rows besides its listing: a change of one of these columns queues every document that reads
# the row (an outbox row naming the source, written by ``market.pool.index`` at flush). Listings and their
# items are queued by the services that change them (``market.pool.listings.touch_listing``).

SOURCES: dict[type, tuple[str, tuple[str, ...]]] = {  # model → (source, the columns documents read)
    Category: ("category", ("code", "name", "parent_id")),  # category_code, category_name, category_path
    Unit: ("unit", ("name", "district", "lat", "lng")),  # an idle lot's holder and place
    Warehouse: ("warehouse", ("name", "district", "lat", "lng")),  # a warehouse lot's holder and place
    RentalVendor: ("vendor", ("name", "lat", "lng", "is_active")),  # an offer's vendor and place
    RentalOffer: ("offer", ("vendor_id", "category_id", "price_per_unit_day", "delivery_fee", "capacity",
                            "description", "is_active")),
}


def affected(db: Session, sources: dict[str, set[int]]) -> tuple[list[int], list[int]]:
    """(listing ids, offer ids) whose documents read the changed rows ``sources`` (source → ids)."""
    listings: set[int] = set()
    offers: set[int] = set(sources.get("offer", ()))
    if ids := sources.get("vendor"):
        offers.update(db.exec(select(RentalOffer.id).where(RentalOffer.vendor_id.in_(ids))))
    if ids := sources.get("category"):
        below = _with_descendants(db, ids)  # a category's path is in its descendants' documents too
        listings.update(db.exec(select(PoolListing.id).where(PoolListing.category_id.in_(below),
                                                            PoolListing.status == "active")))
        offers.update(db.exec(select(RentalOffer.id).where(RentalOffer.category_id.in_(below))))
    if ids := sources.get("unit"):
        listings.update(db.exec(select(PoolListing.id).where(PoolListing.holder_unit_id.in_(ids),
                                                            PoolListing.warehouse_id.is_(None),
                                                            PoolListing.status == "active")))
    if ids := sources.get("warehouse"):
        listings.update(db.exec(select(PoolListing.id).where(PoolListing.warehouse_id.in_(ids),
                                                            PoolListing.status == "active")))
    return sorted(listings), sorted(offers)


def _with_descendants(db: Session, ids: set[int]) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for cid, parent in db.exec(select(Category.id, Category.parent_id)):
        if parent is not None:
            children[parent].append(cid)
    out, todo = set(ids), list(ids)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return sorted(out)


def all_documents(db: Session, batch: int = 2000) -> Iterator[list[dict[str, Any]]]:
    """Every document the index should hold, in batches (a full reindex)."""
    ids = list(db.exec(select(PoolListing.id).where(PoolListing.status == "active").order_by(PoolListing.id)))
    for i in range(0, len(ids), batch):
        docs, _ = documents_for(db, ids[i:i + batch])
        yield docs
    yield offer_documents(db)
