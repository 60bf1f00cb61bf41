"""Reading the pool: listings with their live quantity, holder and category, for pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, select

from .models import LISTING_MODES, Asset, Category, PoolListing, Unit, Warehouse

PAGE_SIZE = 24


@dataclass
class ListingRow:
    id: int
    title: str
    category_code: str
    category_name: str
    tier: str
    holder: str
    district: str
    mode: str
    quantity: int
    available_from: date | None
    available_until: date | None
    brand: str
    model: str

    @property
    def tier_label(self) -> str:
        return {"warehouse": "公物仓库存", "idle": "单位闲置"}[self.tier]

    @property
    def mode_label(self) -> str:
        return LISTING_MODES.get(self.mode, self.mode)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["available_from"] = self.available_from.isoformat() if self.available_from else None
        d["available_until"] = self.available_until.isoformat() if self.available_until else None
        return d


@dataclass
class PoolPage:
    total: int
    page: int
    pages: int
    rows: list[ListingRow]


def pool_page(
    db: Session,
    q: str = "",
    category_id: int | None = None,
    tier: str | None = None,
    district: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> PoolPage:
    """Active listings with at least one item in the pool, newest first."""
    qty = (
        select(Asset.listing_id, func.count().label("n"), func.min(Asset.brand).label("brand"),
               func.min(Asset.model).label("model"))
        .where(Asset.status == "listed").group_by(Asset.listing_id).subquery()
    )
    where = [PoolListing.status == "active"]
    if q.strip():
        like = f"%{q.strip()}%"
        where.append(or_(PoolListing.title.like(like), Category.name.like(like), qty.c.brand.like(like),
                         qty.c.model.like(like)))
    if category_id:
        where.append(PoolListing.category_id == category_id)
    if tier == "warehouse":
        where.append(PoolListing.warehouse_id.is_not(None))
    elif tier == "idle":
        where.append(PoolListing.warehouse_id.is_(None))
    district_col = func.coalesce(Warehouse.district, Unit.district)
    if district:
        where.append(district_col == district)
    base = (
        select(PoolListing, Category.code, Category.name, Unit.name, Warehouse.name, district_col, qty.c.n,
               qty.c.brand, qty.c.model)
        .join(qty, qty.c.listing_id == PoolListing.id)
        .join(Category, Category.id == PoolListing.category_id)
        .join(Unit, Unit.id == PoolListing.holder_unit_id)
        .outerjoin(Warehouse, Warehouse.id == PoolListing.warehouse_id)
        .where(*where)
    )
    total = db.exec(select(func.count()).select_from(base.subquery())).one()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = db.exec(base.order_by(PoolListing.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    out = [
        ListingRow(id=lst.id, title=lst.title, category_code=code, category_name=cname, tier=lst.tier,
                   holder=wname or uname, district=dist, mode=lst.mode, quantity=n,
                   available_from=lst.available_from, available_until=lst.available_until, brand=brand or "",
                   model=model or "")
        for lst, code, cname, uname, wname, dist, n, brand, model in rows
    ]
    return PoolPage(total=total, page=page, pages=pages, rows=out)


def districts(db: Session) -> list[str]:
    return sorted(set(db.exec(select(Unit.district)).all()))


def leaf_categories(db: Session) -> list[Category]:
    return list(db.exec(select(Category).where(Category.is_leaf).order_by(Category.code)))
