"""Reading assets: who may see one, its page and history, the list of assets (``ASSET_LIST``), label sheets, the
lookup by tag, and idle alerts (``idle_list``)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, select

from market import fields
from market.access import UNIT_ROLES, can, check_visible, may_see, visible
from market.accounts import display_names, unit_options
from market.catalogue import category_options
from market.depreciation import Life, beijing_today, life_of, net_values
from market.errors import InvalidInput, NotFound
from market.infra.eventlog import history
from market.infra.rows import get_or_404
from market.lists import Column, Filter, ListSpec, like, names
from market.models import (
    ASSET_STATUSES,
    Asset,
    Category,
    Event,
    OrderItem,
    PoolListing,
    Unit,
    User,
    Warehouse,
    utcnow,
)


def visible_asset(db: Session, actor: User, asset_id: int) -> Asset:
    """Unit roles see their own unit's assets, items in the pool, and items lent to their unit (``market.access``)."""
    return visible(db, actor, Asset, asset_id)


NOT_FOUND_BY_TAG = "找不到该标签对应的资产，或无权查看。"
_LINK = re.compile(r"/assets/([0-9]{1,9})(?:[/?#]|$)")


def asset_link(base_url: str, asset_id: int) -> str:
    """What a label's QR code holds: the asset page's full address (the tag is printed beside it)."""
    return f"{base_url.rstrip('/')}/assets/{asset_id}"


def lookup(db: Session, actor: User, tag: str) -> Asset:
    """The asset with this printed tag or RFID EPC, if ``actor`` may see it; else ``NotFound`` — the same as for a
    tag nobody has (a lookup is no way to learn which tags exist)."""
    text = (tag or "").strip()
    scanned = _LINK.search(text[:fields.LOOKUP_LIMIT])  # a label's QR code holds the asset page's address
    if scanned:
        asset = db.get(Asset, int(scanned[1]))
    else:
        tag = text[:64]
        asset = db.exec(select(Asset).where((Asset.tag == tag) | (Asset.epc == tag.upper()))).first() if tag else None
    if asset is None or not may_see(db, actor, asset):
        raise NotFound(NOT_FOUND_BY_TAG, "tag")
    return asset


def scanned(db: Session, actor: User, texts: list[str]) -> list[tuple[str, Asset | None]]:
    """Each code a camera read (a label's QR holds the asset page's address; a tag or an EPC is taken too), with
    the asset it names when ``actor`` may see it (None otherwise, as ``lookup`` answers a tag nobody has)."""
    out: list[tuple[str, Asset | None]] = []
    for text in dict.fromkeys(texts):
        try:
            out.append((text, lookup(db, actor, text)))
        except NotFound:
            out.append((text, None))
    return out


@dataclass
class AssetPage:
    """An asset with everything its page shows."""

    asset: Asset
    events: list[Event]
    names: dict[int, str]  # who acted in its history
    category: Category
    owner: Unit
    warehouse: Warehouse | None
    listing: PoolListing | None
    order_id: int | None
    life: Life  # 原值 / 累计折旧 / 净值, age against the minimum service life


def asset_page(db: Session, actor: User, asset_id: int) -> AssetPage:
    asset = visible_asset(db, actor, asset_id)
    events = history(db, "asset", asset.id)
    listing = db.get(PoolListing, asset.listing_id) if asset.listing_id else None
    return AssetPage(
        asset, events, display_names(db, [e.actor_id for e in events]), get_or_404(db, Category, asset.category_id),
        get_or_404(db, Unit, asset.owner_unit_id),
        get_or_404(db, Warehouse, asset.warehouse_id) if asset.warehouse_id else None,
        listing if listing is not None and may_see(db, actor, listing) else None, current_order_id(db, asset.id),
        life_of(db, asset))


MAX_LABELS = 600


def label_sheet(db: Session, actor: User, ids: list[int]) -> list[tuple[Asset, str]]:
    """The chosen assets for a sheet of QR labels, each with its owner's name; refused for one ``actor`` may
    not see."""
    if not ids:
        raise InvalidInput("请先选择要打印标签的资产。", "id")
    if len(ids) > MAX_LABELS:
        raise InvalidInput(f"一次最多打印 {MAX_LABELS} 张标签。", "id")
    assets = [visible_asset(db, actor, i) for i in dict.fromkeys(ids)]
    owners = names(db, Unit, [a.owner_unit_id for a in assets])
    return [(a, owners.get(a.owner_unit_id, "")) for a in assets]


@dataclass(frozen=True)
class AssetActions:
    """What an actor may do with a unit's assets: the buttons of the assets page, shown when the service would
    accept the step (which items: the service checks each one)."""

    unit_id: int | None  # the unit acted for (a unit role's own; None: any unit)
    post: bool
    transfer: bool
    dispose: bool
    import_ledger: bool


def asset_actions(actor: User, unit_id: int | None = None) -> AssetActions:
    """``unit_id`` None: the assets of any unit (a unit role: always their own unit's)."""
    if actor.role in UNIT_ROLES:
        unit_id = actor.unit_id
    return AssetActions(unit_id, can(actor, "post_listing", unit_id), can(actor, "propose_transfer", unit_id),
                        can(actor, "apply_disposal", unit_id), can(actor, "import_assets", unit_id))


def _names(db: Session, rows: list[Asset]) -> dict[str, Any]:
    return {"units": names(db, Unit, [a.owner_unit_id for a in rows]),
            "categories": names(db, Category, [a.category_id for a in rows])}


def _ledger_lookups(db: Session, rows: list[Asset]) -> dict[str, Any]:
    """The names, and each row's depreciation today (one read of the standards for the page or the export)."""
    today = beijing_today()
    return _names(db, rows) | {"depreciation": dict(zip([a.id for a in rows], net_values(db, rows, today),
                                                        strict=True))}


def _dep(a: Asset, x: Mapping[str, Any], what: str) -> Any:
    d = x["depreciation"][a.id]
    return getattr(d, what) if d.known else ""


ASSET_COLUMNS = (
    Column("tag", "资产编号", lambda a, _: a.tag),
    Column("name", "名称", lambda a, _: a.name),
    Column("category", "分类", lambda a, x: x["categories"].get(a.category_id, "")),
    Column("unit", "所属单位", lambda a, x: x["units"].get(a.owner_unit_id, "")),
    Column("condition", "状况", lambda a, _: a.condition),
    Column("status", "状态", lambda a, _: a.status_label),
)
ASSET_FILTERS = (
    Filter("unit", "单位", lambda v: Asset.owner_unit_id == v, options=unit_options),
    Filter("category", "分类", lambda v: Asset.category_id == v, options=category_options),
)
ASSET_SEARCH = (like(Asset.tag), like(Asset.name), like(Asset.brand), like(Asset.model), like(Asset.location),
                like(Asset.custodian))

ASSET_LIST = ListSpec(
    key="assets", title="资产", model=Asset,
    columns=(*ASSET_COLUMNS[:3],
             Column("brand_model", "品牌型号", lambda a, _: f"{a.brand} {a.model}".strip()),
             *ASSET_COLUMNS[3:],
             Column("location", "存放地点", lambda a, _: a.location),
             Column("custodian", "使用人/保管人", lambda a, _: a.custodian),
             Column("value", "原值（元）", lambda a, _: a.original_value),
             Column("purchase_date", "取得日期", lambda a, _: a.purchase_date.isoformat() if a.purchase_date else ""),
             Column("accumulated", "累计折旧（元）", lambda a, x: _dep(a, x, "accumulated")),
             Column("net", "净值（元）", lambda a, x: _dep(a, x, "net")),
             Column("confidential", "涉密", lambda a, _: "是" if a.confidential else "")),
    sorts={"tag": ("资产编号", (Asset.tag,)), "newest": ("最新入账", (Asset.id.desc(),)),
           "value": ("原值从高到低", (Asset.original_value.desc(), Asset.tag))},
    filters=(ASSET_FILTERS[0], Filter("status", "状态", lambda v: Asset.status == v, ASSET_STATUSES), ASSET_FILTERS[1]),
    search=ASSET_SEARCH,
    lookups=_ledger_lookups,
)
def current_order_id(db: Session, asset_id: int) -> int | None:
    return db.exec(select(OrderItem.order_id).where(OrderItem.asset_id == asset_id, OrderItem.active)
                   .order_by(OrderItem.id.desc())).first()


def snapshot(asset: Asset) -> dict[str, Any]:
    return {
        "status": asset.status,
        "owner_unit_id": asset.owner_unit_id,
        "condition": asset.condition,
        "listing_id": asset.listing_id,
        "custodian": asset.custodian,
    }


def assets_by_ids(db: Session, ids: list[int], actor: User | None = None, lock: bool = True) -> list[Asset]:
    """The assets, locked for update (PostgreSQL; SQLite's writer already holds the database lock); with
    ``actor``, each one checked by the visibility policy (an asset they may not see is refused, not acted on)."""
    if not ids:
        return []
    stmt = select(Asset).where(Asset.id.in_(ids)).order_by(Asset.id)
    if lock:
        stmt = stmt.with_for_update()
    rows = list(db.exec(stmt))
    found = {a.id for a in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"资产（编号 {missing[0]}）不存在。", "asset_ids")
    if actor is not None:
        for a in rows:
            check_visible(db, actor, a)
    return rows


def stamp(asset: Asset) -> None:
    asset.updated_at = utcnow()


def epc_for(tag: str) -> str:
    """A 96-bit EPC (24 hex digits) derived from the tag, so a reader's EPC maps back to one asset."""
    return hashlib.sha256(tag.encode("utf-8")).hexdigest()[:24].upper()


def tag_for(unit_code: str, year: int, seq: int) -> str:
    return f"{unit_code}-{year}-{seq:06d}"


def idle_days_threshold() -> int:
    """GONGWUCANG_IDLE_DAYS (default 180): how long idle before an item is flagged."""
    raw = os.environ.get("GONGWUCANG_IDLE_DAYS", "180")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 180


# --- idle alerts ---------------------------------------------------------------------------------------------
#
# An item is idle since its last change (its newest event, or the row's own update): the alert lists the items a
# unit keeps idle (闲置, not in the pool) since before ``days`` ago.

MAX_IDLE_DAYS = 9999


def idle_days(raw: str | None) -> int:
    """The ``days`` parameter of the idle alerts (the threshold when left out), or a clear error."""
    raw = (raw or "").strip()
    if not raw:
        return idle_days_threshold()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 4 or not 0 < int(raw) <= MAX_IDLE_DAYS:
        raise InvalidInput(f"闲置天数须为 1 至 {MAX_IDLE_DAYS} 的整数。", "days")
    return int(raw)


def _idle_since_before(days: int) -> Any:
    cutoff = utcnow() - timedelta(days=days)
    changed = select(Event.id).where(Event.entity == "asset", Event.entity_id == Asset.id, Event.at > cutoff)
    return and_(Asset.status == "idle", Asset.warehouse_id.is_(None), Asset.updated_at <= cutoff, ~changed.exists())


def _idle_lookups(db: Session, rows: list[Asset]) -> dict[str, Any]:
    last = dict(db.exec(select(Event.entity_id, func.max(Event.at)).where(
        Event.entity == "asset", Event.entity_id.in_([a.id for a in rows])).group_by(Event.entity_id)).all()) \
        if rows else {}
    now = utcnow()
    since: dict[int, datetime] = {}
    for a in rows:
        at = max(x for x in (last.get(a.id), a.updated_at) if x is not None)
        since[a.id] = at if at.tzinfo is not None else at.replace(tzinfo=now.tzinfo)
    return _names(db, rows) | {"since": since, "days": {i: (now - at).days for i, at in since.items()}}


IDLE_LIST = ListSpec(
    key="idle_assets", title="长期闲置资产", model=Asset,
    columns=(*ASSET_COLUMNS, Column("since", "闲置自", lambda a, x: x["since"][a.id]),
             Column("days", "闲置天数", lambda a, x: x["days"][a.id])),
    sorts={"unit": ("单位", (Asset.owner_unit_id, Asset.tag)), "tag": ("资产编号", (Asset.tag,)),
           "longest": ("最早闲置", (Asset.updated_at, Asset.tag))},
    filters=ASSET_FILTERS,
    search=ASSET_SEARCH,
    where=lambda actor: _idle_since_before(idle_days_threshold()),
    lookups=_idle_lookups,
)


def idle_list(days: int) -> ListSpec:
    """The idle alerts for items idle longer than ``days`` (``idle_days``): the list of ``IDLE_LIST`` so narrowed."""
    return replace(IDLE_LIST, where=lambda actor: _idle_since_before(days))
