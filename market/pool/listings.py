"""The pool: units post idle items, the warehouse receives stock, listings are withdrawn."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session, func, select

from market.access import require, require_for_assets, visible
from market.assets import assets_by_ids, epc_for, snapshot, stamp, tag_for
from market.errors import InvalidInput, InvalidTransition
from market.fields import amount
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import get_or_404
from market.models import (
    CONDITIONS,
    LISTING_MODES,
    USABLE_CONDITIONS,
    Asset,
    Category,
    PoolListing,
    SearchOutbox,
    Unit,
    User,
    Warehouse,
    money,
    utcnow,
)
from market.notices import match_wishes


def _check_window(available_from: date | None, available_until: date | None) -> None:
    if available_from and available_until and available_until < available_from:
        raise InvalidInput("可用截止日期不能早于开始日期。", "available_until")


def _check_mode(mode: str) -> None:
    if mode not in LISTING_MODES:
        raise InvalidInput(f"挂牌方式须为：{'、'.join(LISTING_MODES.values())}。", "mode")


@transactional
def post_idle_items(
    db: Session,
    actor: User,
    asset_ids: list[int],
    title: str = "",
    mode: str = "both",
    available_from: date | None = None,
    available_until: date | None = None,
    description: str = "",
) -> PoolListing:
    """Offer a unit's idle items of one category as one lot in the virtual pool."""
    if not asset_ids:
        raise InvalidInput("请至少选择一件资产。", "asset_ids")
    _check_mode(mode)
    _check_window(available_from, available_until)
    assets = assets_by_ids(db, sorted(set(asset_ids)), actor)
    owners = {a.owner_unit_id for a in assets}
    if len(owners) != 1:
        raise InvalidInput("一次挂牌的资产须属于同一单位。", "asset_ids")
    owner = owners.pop()
    require_for_assets(actor, "post_listing", owner, any(a.warehouse_id is not None for a in assets))
    categories = {a.category_id for a in assets}
    if len(categories) != 1:
        raise InvalidInput("一次挂牌的资产须属于同一资产分类。", "asset_ids")
    for a in assets:
        if a.confidential:
            raise InvalidTransition(f"资产 {a.tag} 为涉密资产，不得进入公物仓。", "asset_ids")
        if a.status not in ("in_use", "idle"):
            raise InvalidTransition(f"资产 {a.tag} 当前状态为“{a.status_label}”，不能挂牌。", "asset_ids")
        if a.condition not in USABLE_CONDITIONS:
            raise InvalidTransition(f"资产 {a.tag} 状况为“{a.condition}”，不能挂牌。", "asset_ids")
    warehouses = {a.warehouse_id for a in assets}
    if len(warehouses) != 1:
        raise InvalidInput("仓库库存与单位闲置资产须分开挂牌。", "asset_ids")
    category = get_or_404(db, Category, categories.pop())
    listing = PoolListing(
        title=(title or f"{assets[0].brand}{assets[0].name}".strip())[:120],
        description=description,
        category_id=category.id,
        holder_unit_id=owner,
        warehouse_id=warehouses.pop(),
        mode=mode,
        available_from=available_from,
        available_until=available_until,
        created_by=actor.id,
    )
    db.add(listing)
    db.flush()
    for a in assets:
        before = snapshot(a)
        a.status, a.listing_id = "listed", listing.id
        stamp(a)
        log_event(db, actor, "asset", a.id, "list", f"挂牌进入公物仓：{listing.title}", before, snapshot(a),
                  ref=("listing", listing.id))
    log_event(db, actor, "listing", listing.id, "create", f"挂牌 {len(assets)} 件：{listing.title}",
              after={"quantity": len(assets), "mode": mode})
    touch_listing(db, listing.id)
    match_wishes(db, listing)
    return listing


@transactional
def withdraw_listing(db: Session, actor: User, listing_id: int, reason: str = "") -> PoolListing:
    """Take a lot out of the pool; items not lent or reserved go back to the holder as in use."""
    listing = visible(db, actor, PoolListing, listing_id)
    require_for_assets(actor, "post_listing", listing.holder_unit_id, listing.warehouse_id is not None)
    if listing.status != "active":
        raise InvalidTransition("该挂牌已撤回。")
    busy = db.exec(
        select(func.count()).select_from(Asset).where(
            Asset.listing_id == listing.id, Asset.status.in_(["reserved", "on_loan"])
        )
    ).one()
    if busy:
        raise InvalidTransition(f"该挂牌有 {busy} 件资产已调配或出借中，归还后才能撤回。")
    listing.status, listing.updated_at = "withdrawn", utcnow()
    for a in db.exec(select(Asset).where(Asset.listing_id == listing.id, Asset.status == "listed")):
        before = snapshot(a)
        a.status, a.listing_id = ("idle" if listing.warehouse_id else "in_use"), None
        stamp(a)
        log_event(db, actor, "asset", a.id, "unlist", "撤回挂牌", before, snapshot(a), ref=("listing", listing.id))
    log_event(db, actor, "listing", listing.id, "withdraw", f"撤回挂牌{('：' + reason) if reason else ''}")
    touch_listing(db, listing.id)
    return listing


def next_tag_seq(db: Session, unit: Unit, year: int) -> int:
    """The next free sequence number of ``UNIT-YEAR-NNNNNN`` tags (tags with other endings are ignored)."""
    prefix = f"{unit.code}-{year}-"
    tags = db.exec(select(Asset.tag).where(Asset.tag.startswith(prefix, autoescape=True))).all()
    numbers = [int(t[len(prefix):]) for t in tags if t[len(prefix):].isascii() and t[len(prefix):].isdigit()]
    return max(numbers, default=0) + 1


@transactional
def receive_items(
    db: Session,
    actor: User,
    warehouse_id: int,
    category_id: int,
    name: str,
    quantity: int,
    original_value: Decimal | float | str,
    condition: str = "全新",
    brand: str = "",
    model: str = "",
    purchase_date: date | None = None,
    mode: str = "both",
    handling_cost: Decimal | float | str = 0,
    source: str = "",
) -> PoolListing:
    """Receive new items into a warehouse (入库): tag each one and put them in the pool as warehouse stock."""
    require(actor, "receive_items")
    warehouse = get_or_404(db, Warehouse, warehouse_id, "warehouse_id")
    category = get_or_404(db, Category, category_id, "category_id")
    if not isinstance(quantity, int) or quantity < 1 or quantity > 10000:
        raise InvalidInput("入库数量须为 1 至 10000 之间的整数。", "quantity")
    if condition not in CONDITIONS[:3]:
        raise InvalidInput("入库资产状况须为全新、良好或一般。", "condition")
    if not name.strip():
        raise InvalidInput("请填写资产名称。", "name")
    _check_mode(mode)
    value = amount(original_value, "original_value", "单价（原值）")
    unit = get_or_404(db, Unit, warehouse.operator_unit_id)
    listing = PoolListing(
        title=f"{brand}{name}".strip()[:120],
        category_id=category.id,
        holder_unit_id=unit.id,
        warehouse_id=warehouse.id,
        mode=mode,
        handling_cost=money(handling_cost),
        created_by=actor.id,
    )
    db.add(listing)
    db.flush()
    year = utcnow().year
    seq = next_tag_seq(db, unit, year)
    for i in range(quantity):
        tag = tag_for(unit.code, year, seq + i)
        a = Asset(
            tag=tag, epc=epc_for(tag), name=name.strip(), category_id=category.id, brand=brand, model=model,
            owner_unit_id=unit.id, warehouse_id=warehouse.id, location=warehouse.name, condition=condition,
            original_value=value, purchase_date=purchase_date, status="listed", listing_id=listing.id,
            custodian=warehouse.name, responsible_person=actor.display_name,
        )
        db.add(a)
        db.flush()
        log_event(db, actor, "asset", a.id, "receive", f"入库：{warehouse.name}{('（' + source + '）') if source else ''}",
                  None, snapshot(a), ref=("listing", listing.id))
    log_event(db, actor, "listing", listing.id, "create", f"入库并挂牌 {quantity} 件：{listing.title}",
              after={"quantity": quantity, "warehouse": warehouse.name})
    touch_listing(db, listing.id)
    match_wishes(db, listing)
    return listing


def listing_quantity(db: Session, listing_id: int) -> int:
    """Items of the lot that are in the pool now (not lent, reserved or gone)."""
    return db.exec(
        select(func.count()).select_from(Asset).where(Asset.listing_id == listing_id, Asset.status == "listed")
    ).one()


def touch_listing(db: Session, listing_id: int | None) -> None:
    """Queue a listing for the search index, in the caller's transaction."""
    if listing_id is not None:
        db.add(SearchOutbox(listing_id=listing_id))
