"""The pool: units post idle items, the warehouse receives stock, listings are withdrawn; a listing's page and
the list of listings (``LISTING_LIST``: the lots a unit posted, every lot for the warehouse and the supervisors)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import true
from sqlmodel import Session, func, select

from market.access import UNIT_ROLES, can, require, require_for_assets, visible
from market.accounts import unit_options, warehouses
from market.assets import assets_by_ids, epc_for, snapshot, stamp, tag_for
from market.catalogue import category_options, leaf_categories
from market.errors import InvalidInput, InvalidTransition, PermissionDenied
from market.fields import amount
from market.infra.db import transactional
from market.infra.eventlog import history, log_event, recent
from market.infra.rows import get_or_404
from market.lists import Column, Filter, ListSpec, like, names
from market.models import (
    CONDITIONS,
    LISTING_MODES,
    LISTING_STATUSES,
    USABLE_CONDITIONS,
    Asset,
    Category,
    Event,
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


# --- reading listings --------------------------------------------------------------------------------------


def _permitted(check: Callable[[], Any]) -> bool:
    try:
        check()
    except PermissionDenied:
        return False
    return True


@dataclass(frozen=True)
class ListingActions:
    """What an actor may do with a listing: its page shows a button exactly when the service would take the step."""

    withdraw: bool
    request: bool


def listing_actions(actor: User, listing: PoolListing) -> ListingActions:
    active = listing.status == "active"
    return ListingActions(
        withdraw=active and _permitted(lambda: require_for_assets(
            actor, "post_listing", listing.holder_unit_id, listing.warehouse_id is not None)),
        request=active and can(actor, "submit_request", actor.unit_id))


def listing_items(db: Session, actor: User, listing_id: int) -> tuple[PoolListing, list[Asset]]:
    """The listing (if ``actor`` may see it) and its items by tag."""
    listing = visible(db, actor, PoolListing, listing_id)
    return listing, list(db.exec(select(Asset).where(Asset.listing_id == listing.id).order_by(Asset.tag)))


@dataclass
class ListingPage:
    """A listing with everything its page shows."""

    listing: PoolListing
    items: list[Asset]
    category: Category
    holder: Unit
    warehouse: Warehouse | None
    events: list[Event]  # the listing's own history
    recent: list[Event]  # its items' latest events
    available: int
    actions: ListingActions

    @property
    def tags(self) -> dict[int, str]:
        return {a.id: a.tag for a in self.items}


def listing_page(db: Session, actor: User, listing_id: int) -> ListingPage:
    listing, items = listing_items(db, actor, listing_id)
    return ListingPage(
        listing, items, get_or_404(db, Category, listing.category_id), get_or_404(db, Unit, listing.holder_unit_id),
        get_or_404(db, Warehouse, listing.warehouse_id) if listing.warehouse_id else None,
        history(db, "listing", listing.id), recent(db, "asset", [a.id for a in items]),
        sum(1 for a in items if a.status == "listed"), listing_actions(actor, listing))


def receive_choices(db: Session, actor: User) -> tuple[list[Warehouse], list[Category]]:
    """The warehouses and categories the receiving form offers (to those who receive stock)."""
    require(actor, "receive_items")
    return warehouses(db), leaf_categories(db)


def _posted_by_my_unit(actor: User) -> Any:
    """A unit role's list is the lots their unit posted (the pool's other lots are searched on the home page)."""
    return PoolListing.holder_unit_id == actor.unit_id if actor.role in UNIT_ROLES else true()


def _listing_lookups(db: Session, rows: list[PoolListing]) -> dict[str, Any]:
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if rows:
        for lid, status, n in db.exec(select(Asset.listing_id, Asset.status, func.count())
                                      .where(Asset.listing_id.in_([x.id for x in rows]))
                                      .group_by(Asset.listing_id, Asset.status)):
            counts[lid][status] = n
    return {"units": names(db, Unit, [x.holder_unit_id for x in rows]),
            "warehouses": names(db, Warehouse, [x.warehouse_id for x in rows]),
            "categories": names(db, Category, [x.category_id for x in rows]),
            "listed": {i: c.get("listed", 0) for i, c in counts.items()},
            "items": {i: sum(c.values()) for i, c in counts.items()}}


def holder_name(listing: PoolListing, lookups: dict[str, Any]) -> str:
    if listing.warehouse_id is not None:
        return lookups["warehouses"].get(listing.warehouse_id, "")
    return lookups["units"].get(listing.holder_unit_id, "")


TIERS = {"warehouse": "公物仓库存", "idle": "单位闲置"}

LISTING_LIST = ListSpec(
    key="listings", title="挂牌", model=PoolListing,
    columns=(
        Column("id", "挂牌编号", lambda x, _: x.id),
        Column("title", "标题", lambda x, _: x.title),
        Column("category", "分类", lambda x, k: k["categories"].get(x.category_id, "")),
        Column("tier", "来源", lambda x, _: TIERS[x.tier]),
        Column("holder", "持有", holder_name),
        Column("mode", "方式", lambda x, _: LISTING_MODES.get(x.mode, x.mode)),
        Column("listed", "在池件数", lambda x, k: k["listed"].get(x.id, 0)),
        Column("items", "总件数", lambda x, k: k["items"].get(x.id, 0)),
        Column("status", "状态", lambda x, _: LISTING_STATUSES.get(x.status, x.status)),
        Column("created", "挂牌时间", lambda x, _: x.created_at),
    ),
    sorts={"newest": ("最新挂牌", (PoolListing.id.desc(),)), "oldest": ("最早挂牌", (PoolListing.id,)),
           "title": ("标题", (PoolListing.title, PoolListing.id))},
    filters=(
        Filter("status", "状态", lambda v: PoolListing.status == v, LISTING_STATUSES),
        Filter("mode", "方式", lambda v: PoolListing.mode == v, LISTING_MODES),
        Filter("tier", "来源", lambda v: PoolListing.warehouse_id.is_not(None) if v == "warehouse"
               else PoolListing.warehouse_id.is_(None), TIERS),
        Filter("unit", "持有单位", lambda v: PoolListing.holder_unit_id == v, options=unit_options),
        Filter("category", "分类", lambda v: PoolListing.category_id == v, options=category_options),
    ),
    search=(like(PoolListing.title), like(PoolListing.description)),
    where=_posted_by_my_unit,
    lookups=_listing_lookups,
)
