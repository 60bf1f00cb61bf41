"""The category tree as data: load it from a CSV an administrator edits, and write it back out.

Columns: 分类代码, 分类名称, 上级代码, 计量单位, 运输费率, 参考单价, 典型重量, 目录版本
(code, name, parent code, measure unit, 元/件/km, 元/件 new, kg, catalogue version).
Rows are matched on (目录版本, 分类代码): existing categories are updated, new ones added; nothing is
deleted (assets keep their category for life).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select

from market import fields
from market.access import require
from market.accounts import check_coordinates
from market.errors import Conflict, InvalidInput
from market.fields import amount
from market.infra import sheets
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import get_or_404
from market.infra.textfiles import decode_text
from market.models import Category, RentalOffer, RentalVendor, Unit, User

COLUMNS = ["分类代码", "分类名称", "上级代码", "计量单位", "运输费率", "参考单价", "典型重量", "目录版本"]
DEFAULT_CATALOGUE = "GB/T 14885-2022"


@dataclass
class LoadResult:
    added: int
    updated: int


def _decimal(value: str, row: int, col: str, high: Decimal = fields.MAX_AMOUNT) -> Decimal:
    try:
        d = Decimal((value or "0").replace(",", "").strip())
    except InvalidOperation:
        raise InvalidInput(f"第 {row} 行：{col}“{value}”不是数字。", col) from None
    if not d.is_finite() or d < 0:
        raise InvalidInput(f"第 {row} 行：{col}不能为负数。", col)
    if d > high:
        raise InvalidInput(f"第 {row} 行：{col}不能大于 {high}。", col)
    return d


def read_csv(data: bytes, required: tuple[str, ...] = ("分类代码", "分类名称"),
             what: str = "分类数据") -> list[dict[str, str]]:
    """The rows of a CSV table an administrator edits (the category tree, the configuration standards):
    lines before the header that start with ``#`` are notes and skipped; ``required`` columns must be there."""
    # (a cell ``export_csv`` quoted so that no spreadsheet runs it as a formula reads back as it was)
    lines = decode_text(data).splitlines(keepends=True)
    while lines and lines[0].lstrip("\ufeff").startswith("#"):
        lines.pop(0)
    rows = [{k: sheets.unquote(v) if isinstance(v, str) else v for k, v in r.items()}
            for r in csv.DictReader(io.StringIO("".join(lines)))]
    if not rows:
        raise InvalidInput(f"文件中没有{what}。")
    missing = [c for c in required if c not in rows[0]]
    if missing:
        raise InvalidInput(f"缺少列：{'、'.join(missing)}。")
    return rows


@transactional
def load_categories(db: Session, actor: User | None, rows: list[dict[str, str]]) -> LoadResult:
    """Add or update categories; ``actor`` None is the command line."""
    if actor is not None:
        require(actor, "manage_catalogue")
    existing = {(c.catalogue, c.code): c for c in db.exec(select(Category))}
    seen: set[tuple[str, str]] = set()
    added = updated = 0
    parents: list[tuple[Category, str, int]] = []
    for i, raw in enumerate(rows, start=2):
        code = fields.text(raw.get("分类代码"), Category.code, "分类代码", f"第 {i} 行：分类代码")
        name = fields.text(raw.get("分类名称"), Category.name, "分类名称", f"第 {i} 行：分类名称")
        catalogue = fields.text(raw.get("目录版本"), Category.catalogue, "目录版本", f"第 {i} 行：目录版本") or DEFAULT_CATALOGUE
        if not code or not name:
            raise InvalidInput(f"第 {i} 行：分类代码和分类名称不能为空。", "分类代码")
        if (catalogue, code) in seen:
            raise InvalidInput(f"第 {i} 行：分类代码 {code} 重复。", "分类代码")
        seen.add((catalogue, code))
        cat = existing.get((catalogue, code))
        if cat is None:
            cat = Category(code=code, catalogue=catalogue, name=name)
            db.add(cat)
            existing[(catalogue, code)] = cat
            added += 1
        else:
            updated += 1
        cat.name = name
        cat.measure_unit = (raw.get("计量单位") or cat.measure_unit or "件").strip()[:8]
        if raw.get("运输费率"):
            cat.transport_rate = _decimal(raw["运输费率"], i, "运输费率", Decimal(1000))
        if raw.get("参考单价"):
            cat.reference_price = _decimal(raw["参考单价"], i, "参考单价")
        if raw.get("典型重量"):
            cat.typical_weight_kg = float(_decimal(raw["典型重量"], i, "典型重量", Decimal(1_000_000)))
        parents.append((cat, (raw.get("上级代码") or "").strip(), i))
    db.flush()
    for cat, parent_code, i in parents:
        if parent_code:
            parent = existing.get((cat.catalogue, parent_code))
            if parent is None:
                raise InvalidInput(f"第 {i} 行：上级代码 {parent_code} 不存在。", "上级代码")
            if parent is cat:
                raise InvalidInput(f"第 {i} 行：上级代码不能是自身。", "上级代码")
            cat.parent_id = parent.id
            parent.is_leaf = False
    log_event(db, actor, "catalogue", 0, "load", f"导入资产分类：新增 {added} 个，更新 {updated} 个",
              after={"added": added, "updated": updated})
    return LoadResult(added, updated)


def export_csv(db: Session) -> str:
    cats = list(db.exec(select(Category).order_by(Category.catalogue, Category.code)))
    by_id = {c.id: c for c in cats}
    rows = []
    for c in cats:
        parent = by_id.get(c.parent_id)
        rows.append([c.code, c.name, parent.code if parent else "", c.measure_unit, c.transport_rate,
                     c.reference_price, c.typical_weight_kg, c.catalogue])
    return sheets.csv_text(COLUMNS, rows)


def districts(db: Session) -> list[str]:
    return sorted(set(db.exec(select(Unit.district)).all()))


def leaf_categories(db: Session) -> list[Category]:
    return list(db.exec(select(Category).where(Category.is_leaf).order_by(Category.code)))


def categories(db: Session) -> list[Category]:
    """The whole catalogue by code (public to anyone signed in; the administration tab and the API)."""
    return list(db.exec(select(Category).order_by(Category.code)))


def category_options(db: Session, actor: User) -> dict[str, str]:
    """The categories a list may be narrowed to (assets belong to leaf categories)."""
    return {str(i): n for i, n in db.exec(select(Category.id, Category.name).where(Category.is_leaf)
                                          .order_by(Category.code))}


@dataclass
class Vendors:
    vendors: list[RentalVendor]
    offers: list[RentalOffer]


def vendors(db: Session) -> Vendors:
    """The rental companies and their offers (the administration tab and the API)."""
    return Vendors(list(db.exec(select(RentalVendor).order_by(RentalVendor.id))),
                   list(db.exec(select(RentalOffer).order_by(RentalOffer.vendor_id, RentalOffer.id))))






@transactional
def update_category(db: Session, actor: User, category_id: int, transport_rate: str | Decimal,
                    reference_price: str | Decimal, name: str | None = None) -> Category:
    require(actor, "manage_catalogue")
    cat = get_or_404(db, Category, category_id)
    before = {"transport_rate": str(cat.transport_rate), "reference_price": str(cat.reference_price)}
    try:
        rate = Decimal(str(transport_rate).strip())
    except ArithmeticError:
        raise InvalidInput("运输费率须为数字（元/件/公里）。", "transport_rate") from None
    if not rate.is_finite() or rate < 0 or rate > 1000:
        raise InvalidInput("运输费率须在 0 至 1000 元/件/公里之间。", "transport_rate")
    cat.transport_rate = rate.quantize(Decimal("0.0001"))
    cat.reference_price = amount(reference_price, "reference_price", "参考单价")
    if name is not None and name.strip():
        cat.name = fields.text(name, Category.name, "name", "分类名称")
    log_event(db, actor, "category", cat.id, "update", f"修改分类 {cat.code} {cat.name} 的费率与参考价", before,
              {"transport_rate": str(cat.transport_rate), "reference_price": str(cat.reference_price)})
    return cat


@transactional
def save_vendor(db: Session, actor: User, name: str, lat: float, lng: float, contact: str = "", phone: str = "",
                address: str = "", vendor_id: int | None = None, is_active: bool = True) -> RentalVendor:
    require(actor, "manage_catalogue")
    # refused when too long, never cut: the name checked for a clash below is the name stored
    name = fields.text(name, RentalVendor.name, "name", "租赁公司名称", required=True)
    contact = fields.text(contact, RentalVendor.contact, "contact", "联系人")
    phone = fields.text(phone, RentalVendor.phone, "phone", "电话")
    address = fields.text(address, RentalVendor.address, "address", "地址")
    check_coordinates(lat, lng)
    clash = db.exec(select(RentalVendor).where(RentalVendor.name == name)).first()
    if clash is not None and clash.id != vendor_id:
        raise Conflict("租赁公司名称已存在。", "name")
    v = get_or_404(db, RentalVendor, vendor_id) if vendor_id else RentalVendor(name=name, lat=lat, lng=lng)
    v.name, v.lat, v.lng, v.contact, v.phone, v.address = name, lat, lng, contact, phone, address
    v.is_active = is_active
    db.add(v)
    db.flush()
    log_event(db, actor, "vendor", v.id, "update" if vendor_id else "create", f"{'修改' if vendor_id else '新增'}租赁公司 {name}")
    return v


@transactional
def save_offer(db: Session, actor: User, vendor_id: int, category_id: int, price_per_unit_day: str | Decimal,
               delivery_fee: str | Decimal, capacity: int | None, description: str = "",
               offer_id: int | None = None, is_active: bool = True) -> RentalOffer:
    require(actor, "manage_catalogue")
    get_or_404(db, RentalVendor, vendor_id, "vendor_id")
    get_or_404(db, Category, category_id, "category_id")
    if capacity is not None and not 1 <= capacity <= 1_000_000:
        raise InvalidInput("日供应能力须为 1 至 100 万，或留空表示不限。", "capacity")
    o = get_or_404(db, RentalOffer, offer_id) if offer_id else RentalOffer(
        vendor_id=vendor_id, category_id=category_id, price_per_unit_day=Decimal(0))
    o.vendor_id, o.category_id, o.capacity = vendor_id, category_id, capacity
    o.description = fields.text(description, RentalOffer.description, "description", "说明")
    o.price_per_unit_day = amount(price_per_unit_day, "price_per_unit_day", "日租金")
    o.delivery_fee = amount(delivery_fee, "delivery_fee", "送货费")
    o.is_active = is_active
    db.add(o)
    db.flush()
    log_event(db, actor, "offer", o.id, "update" if offer_id else "create",
              f"{'修改' if offer_id else '新增'}租赁报价：{o.price_per_unit_day} 元/件/天，送货费 {o.delivery_fee} 元")
    return o
