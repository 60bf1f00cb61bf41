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

from .db import transactional
from .errors import InvalidInput
from .eventlog import log_event
from .models import Category, User
from .permissions import require
from .textfiles import decode_text

COLUMNS = ["分类代码", "分类名称", "上级代码", "计量单位", "运输费率", "参考单价", "典型重量", "目录版本"]
DEFAULT_CATALOGUE = "GB/T 14885-2022"


@dataclass
class LoadResult:
    added: int
    updated: int


def _decimal(value: str, row: int, col: str) -> Decimal:
    try:
        d = Decimal((value or "0").replace(",", "").strip())
    except InvalidOperation:
        raise InvalidInput(f"第 {row} 行：{col}“{value}”不是数字。", col) from None
    if d < 0 or not d.is_finite():
        raise InvalidInput(f"第 {row} 行：{col}不能为负数。", col)
    return d


def read_csv(data: bytes) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(decode_text(data))))
    if not rows:
        raise InvalidInput("文件中没有分类数据。")
    missing = [c for c in ("分类代码", "分类名称") if c not in rows[0]]
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
        code = (raw.get("分类代码") or "").strip()
        name = (raw.get("分类名称") or "").strip()
        catalogue = (raw.get("目录版本") or "").strip() or DEFAULT_CATALOGUE
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
            cat.transport_rate = _decimal(raw["运输费率"], i, "运输费率")
        if raw.get("参考单价"):
            cat.reference_price = _decimal(raw["参考单价"], i, "参考单价")
        if raw.get("典型重量"):
            cat.typical_weight_kg = float(_decimal(raw["典型重量"], i, "典型重量"))
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
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for c in cats:
        parent = by_id.get(c.parent_id)
        w.writerow([c.code, c.name, parent.code if parent else "", c.measure_unit, c.transport_rate,
                    c.reference_price, c.typical_weight_kg, c.catalogue])
    return out.getvalue()
