"""Configuration standards (配置标准) as data: per asset category the price cap (plain, or by rank where the
standard distinguishes 司局级 / 处级及以下), the quantity cap as a share of a unit's 编制内实有人数 (with its own
share for a unit that runs a confidential network), the group of categories that share one quantity cap, the
minimum service life (最低使用年限) and the depreciation life (折旧年限).

The table is the installation's own: shipped with the central standard's figures (``market/data/
standards_central.csv``, sources cited there), edited on the administration page, imported and exported as CSV
in the columns of ``COLUMNS`` (read by the category tree's reader, ``market.catalogue.read_csv``).

How a figure is found for a category (``standard_for``): each figure from the nearest row up the category tree
that sets it — a leaf's own row first, then its parent's, and so on. So a depreciation life set on 家具 serves
every furniture category that sets none, while a leaf's price cap stays its own.

The API other modules use:

- ``standard_for(db, category_id) -> Standard`` (every figure resolved, with the row it came from)
- ``price_cap(db, category_id, rank=None) -> Decimal | None``
- ``quantity_cap(db, unit, category_id) -> QuantityCap`` (cap count or None, the group's label, the share used)
- ``holdings(db, unit, category_or_group) -> int`` (the unit's assets on the books in that cap group)
- ``min_life_years(db, category_id)``, ``depreciation_life_years(db, category_id)`` -> int | None
- ``save_standard``, ``load_standards``, ``export_csv``, ``load_defaults``, ``STANDARD_LIST``
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from market import fields
from market.access import require, require_user
from market.catalogue import DEFAULT_CATALOGUE, read_csv
from market.errors import InvalidInput
from market.infra import sheets
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.infra.rows import get_or_404
from market.lists import Column, ListSpec, like, named
from market.models import Asset, Category, ConfigStandard, Unit, User, money

DEFAULTS = Path(__file__).parent / "data" / "standards_central.csv"
COLUMNS = ["分类代码", "分类名称", "价格上限", "价格上限（司局级）", "价格上限（处级及以下）", "数量比例",
           "数量比例（涉密网络）", "限额组", "最低使用年限", "折旧年限", "依据"]
RANKS = {"senior": "司局级", "junior": "处级及以下"}
# the assets a quantity cap counts: every one still on the unit's books (in the pool or being disposed of too)
OFF_BOOKS = ("disposed", "lost")
MAX_SHARE = 1000  # % of staff
MAX_YEARS = 100

# field → (CSV column, label in messages, kind)
FIELDS: dict[str, tuple[str, str, str]] = {
    "price_cap": ("价格上限", "价格上限", "money"),
    "price_cap_senior": ("价格上限（司局级）", "司局级价格上限", "money"),
    "price_cap_junior": ("价格上限（处级及以下）", "处级及以下价格上限", "money"),
    "quantity_share": ("数量比例", "数量比例", "share"),
    "quantity_share_confidential": ("数量比例（涉密网络）", "涉密网络单位的数量比例", "share"),
    "quantity_group": ("限额组", "限额组", "text"),
    "min_life_years": ("最低使用年限", "最低使用年限", "years"),
    "depreciation_years": ("折旧年限", "折旧年限", "years"),
    "note": ("依据", "依据", "text"),
}


# --- reading the figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Standard:
    """A category's standard as it applies: every figure resolved up the tree (None: the standard sets none)."""

    category_id: int
    price_cap: Decimal | None
    price_cap_senior: Decimal | None
    price_cap_junior: Decimal | None
    quantity_share: int | None
    quantity_share_confidential: int | None
    quantity_group: str
    quantity_category_id: int | None  # the category whose row sets the quantity cap (its subtree is counted)
    min_life_years: int | None
    depreciation_years: int | None

    @property
    def by_rank(self) -> bool:
        return self.price_cap_senior is not None or self.price_cap_junior is not None


@dataclass(frozen=True)
class QuantityCap:
    cap: int | None  # None: no cap (the standard sets no share, or the unit's staff count is unknown)
    group: str  # what the cap covers, as a person reads it: the group's name or the category's
    share: int | None  # the % of staff used (the confidential-network share where it applies)
    staff: int  # the unit's 编制内实有人数 (0: unknown)
    key: int | str | None  # what ``holdings`` takes for this cap: the group's name or the category id


class _Tree:
    """The category tree and the standards table, read once per call (both are small)."""

    def __init__(self, db: Session) -> None:
        self.parent: dict[int, int | None] = dict(db.exec(select(Category.id, Category.parent_id)).all())
        self.names: dict[int, str] = dict(db.exec(select(Category.id, Category.name)).all())
        self.rows: dict[int, ConfigStandard] = {s.category_id: s for s in db.exec(select(ConfigStandard))}

    def chain(self, category_id: int) -> list[ConfigStandard]:
        out, seen, cid = [], set(), category_id
        while cid is not None and cid not in seen:
            seen.add(cid)
            if cid in self.rows:
                out.append(self.rows[cid])
            cid = self.parent.get(cid)
        return out

    def resolve(self, category_id: int) -> Standard:
        chain = self.chain(category_id)

        def first(attr: str) -> Any:
            return next((getattr(r, attr) for r in chain if getattr(r, attr) is not None), None)

        # the price caps and the quantity cap come as a whole from one row: a leaf's rank caps never mix with
        # a parent's plain cap
        price_row = next((r for r in chain if r.price_cap is not None or r.price_cap_senior is not None
                          or r.price_cap_junior is not None), None)
        qty_row = next((r for r in chain if r.quantity_share is not None), None)
        return Standard(
            category_id=category_id,
            price_cap=price_row.price_cap if price_row else None,
            price_cap_senior=price_row.price_cap_senior if price_row else None,
            price_cap_junior=price_row.price_cap_junior if price_row else None,
            quantity_share=qty_row.quantity_share if qty_row else None,
            quantity_share_confidential=qty_row.quantity_share_confidential if qty_row else None,
            quantity_group=qty_row.quantity_group if qty_row else "",
            quantity_category_id=qty_row.category_id if qty_row else None,
            min_life_years=first("min_life_years"),
            depreciation_years=first("depreciation_years"),
        )

    def subtree(self, roots: set[int]) -> set[int]:
        children: dict[int, list[int]] = {}
        for cid, pid in self.parent.items():
            if pid is not None:
                children.setdefault(pid, []).append(cid)
        out, todo = set(), list(roots)
        while todo:
            cid = todo.pop()
            if cid not in out:
                out.add(cid)
                todo.extend(children.get(cid, []))
        return out


def standard_for(db: Session, category_id: int) -> Standard:
    """The standard that applies to a category: each figure from the nearest row up the tree that sets it."""
    return _Tree(db).resolve(category_id)


def applicable(db: Session, actor: User | None, category_id: int) -> Standard:
    """``standard_for`` for a reader from outside (anyone signed in: the standards are public rules)."""
    require_user(actor)
    get_or_404(db, Category, category_id)
    return standard_for(db, category_id)


def standards_by_category(db: Session) -> dict[int, Standard]:
    """Every category's standard at once (for statistics over many assets)."""
    tree = _Tree(db)
    return {cid: tree.resolve(cid) for cid in tree.parent}


def price_cap(db: Session, category_id: int, rank: str | None = None) -> Decimal | None:
    """The price cap of one item (元). Where the standard distinguishes ranks, ``rank`` picks one ("senior"
    司局级 / "junior" 处级及以下); without a rank the stricter 处级及以下 cap applies (从严控制)."""
    if rank is not None and rank not in RANKS:
        raise InvalidInput(f"职级须为：{'、'.join(f'{k}（{v}）' for k, v in RANKS.items())}。", "rank")
    s = standard_for(db, category_id)
    if s.by_rank:
        return s.price_cap_senior if rank == "senior" else s.price_cap_junior
    return s.price_cap


def min_life_years(db: Session, category_id: int) -> int | None:
    return standard_for(db, category_id).min_life_years


def depreciation_life_years(db: Session, category_id: int) -> int | None:
    return standard_for(db, category_id).depreciation_years


def read_tree(db: Session) -> _Tree:
    """The category tree and the standards table, for a caller that asks about many units or groups at once
    (the supervision report): pass it as ``tree`` instead of reading them again for every answer."""
    return _Tree(db)


def quantity_cap(db: Session, unit: Unit, category_id: int, tree: _Tree | None = None) -> QuantityCap:
    """How many items of the category's cap group the unit may hold: the share of its 编制内实有人数, rounded
    down (the confidential-network share for a unit that runs one, where the standard gives one)."""
    tree = tree or _Tree(db)
    s = tree.resolve(category_id)
    if s.quantity_share is None:
        return QuantityCap(None, tree.names.get(category_id, ""), None, unit.staff_count or 0, None)
    share = s.quantity_share
    if unit.confidential_network and s.quantity_share_confidential is not None:
        share = s.quantity_share_confidential
    key: int | str = s.quantity_group or s.quantity_category_id  # type: ignore[assignment]
    label = s.quantity_group or tree.names.get(s.quantity_category_id, "")  # type: ignore[arg-type]
    staff = unit.staff_count or 0
    cap = staff * share // 100 if staff > 0 else None
    return QuantityCap(cap, label, share, staff, key)


def cap_categories(db: Session, category_or_group: int | str, tree: _Tree | None = None) -> set[int]:
    """The categories one quantity cap covers: a group's rows (and the categories under them), or a category
    and the categories under it."""
    tree = tree or _Tree(db)
    if isinstance(category_or_group, str):
        roots = {cid for cid, r in tree.rows.items() if r.quantity_group == category_or_group}
    else:
        roots = {category_or_group}
    return tree.subtree(roots)


def holdings(db: Session, unit: Unit, category_or_group: int | str, tree: _Tree | None = None) -> int:
    """The unit's assets in a cap group — a group name or a category id (with the categories under it);
    ``QuantityCap.key`` is what to pass."""
    return holdings_in(held_counts(db, [unit.id])[unit.id], db, category_or_group, tree)


def held_counts(db: Session, unit_ids: list[int]) -> dict[int, dict[int, int]]:
    """unit id → category id → how many of the unit's assets its quantity caps count: on its books (not disposed
    of or written off) and not the warehouse's stock (what the bureau keeps in the 公物仓 is the pool's, not its
    own equipment); items a unit has put into the pool still count, they are still its own. One query for many
    units (a report's table); ``holdings_in`` sums a cap group from it."""
    out: dict[int, dict[int, int]] = {u: {} for u in unit_ids}
    if not unit_ids:
        return out
    rows = db.exec(select(Asset.owner_unit_id, Asset.category_id, func.count())
                   .where(Asset.owner_unit_id.in_(unit_ids), Asset.status.not_in(OFF_BOOKS),
                          Asset.warehouse_id.is_(None))
                   .group_by(Asset.owner_unit_id, Asset.category_id)).all()
    for unit_id, category_id, n in rows:
        out[unit_id][category_id] = n
    return out


def holdings_in(counts: dict[int, int], db: Session, category_or_group: int | str, tree: _Tree | None = None) -> int:
    """``holdings`` from one unit's ``held_counts``."""
    return sum(counts.get(c, 0) for c in cap_categories(db, category_or_group, tree))


# --- editing ------------------------------------------------------------------------------------------------


def _figure(kind: str, raw: Any, field: str, label: str) -> Any:
    if kind == "text":
        col = ConfigStandard.quantity_group if field == "quantity_group" else ConfigStandard.note
        return fields.text(raw, col, field, label)
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None
    if kind == "money":
        value = fields.amount(text, field, label)
        if value <= 0:
            raise InvalidInput(f"{label}须大于 0，或留空表示不设上限。", field)
        return value
    text = text.removesuffix("%").strip() if kind == "share" else text
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise InvalidInput(f"{label}须为整数{'（百分比）' if kind == 'share' else '（年）'}，或留空。", field)
    n = int(text)
    high = MAX_SHARE if kind == "share" else MAX_YEARS
    if not 1 <= n <= high:
        raise InvalidInput(f"{label}须在 1 至 {high}{'%' if kind == 'share' else ' 年'}之间，或留空。", field)
    return n


def _parse(values: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: _figure(kind, values.get(k), k, label) for k, (_col, label, kind) in FIELDS.items()}
    if out["price_cap"] is not None and (out["price_cap_senior"] is not None or out["price_cap_junior"] is not None):
        raise InvalidInput("价格上限不分职级时只填“价格上限”；分职级时填司局级和处级及以下两项。", "price_cap")
    if (out["price_cap_senior"] is None) != (out["price_cap_junior"] is None):
        raise InvalidInput("分职级的价格上限须同时填写司局级和处级及以下两项。", "price_cap_senior")
    if out["quantity_share_confidential"] is not None and out["quantity_share"] is None:
        raise InvalidInput("填写涉密网络单位的数量比例前，须先填写数量比例。", "quantity_share_confidential")
    if out["quantity_group"] and out["quantity_share"] is None:
        raise InvalidInput("设了限额组的分类须填写数量比例。", "quantity_share")
    return out


def _check_groups(db: Session) -> None:
    """Every row of one quantity group must give the same shares (one cap, one share)."""
    shares: dict[str, tuple[int | None, int | None, str]] = {}
    for r, cname in db.exec(select(ConfigStandard, Category.name).join(Category, Category.id == ConfigStandard.category_id)
                            .where(ConfigStandard.quantity_group != "")):
        got = (r.quantity_share, r.quantity_share_confidential)
        seen = shares.setdefault(r.quantity_group, (*got, cname))
        if seen[:2] != got:
            raise InvalidInput(f"限额组“{r.quantity_group}”中{seen[2]}与{cname}的数量比例不同；同一限额组共用一个"
                               "数量上限，比例须一致。", "quantity_share")


def _apply(row: ConfigStandard, figures: dict[str, Any]) -> dict[str, Any]:
    before = {k: _plain(getattr(row, k)) for k in FIELDS}
    for k, v in figures.items():
        setattr(row, k, v)
    return before


def _plain(v: Any) -> Any:
    return str(v) if isinstance(v, Decimal) else v


@transactional
def save_standard(db: Session, actor: User, category_id: int, values: Mapping[str, Any]) -> ConfigStandard:
    """Set the standard of one category from a form or an API body (every figure; empty means none)."""
    require(actor, "manage_catalogue")
    cat = get_or_404(db, Category, category_id, "category_id")
    figures = _parse(values)
    row = db.exec(select(ConfigStandard).where(ConfigStandard.category_id == cat.id)).first()
    created = row is None
    if row is None:
        row = ConfigStandard(category_id=cat.id)
        db.add(row)
    before = _apply(row, figures)
    db.flush()
    _check_groups(db)
    log_event(db, actor, "standard", row.id, "create" if created else "update",
              f"{'新增' if created else '修改'}配置标准：{cat.code} {cat.name}", None if created else before,
              {k: _plain(getattr(row, k)) for k in FIELDS})
    return row


def get_standard(db: Session, standard_id: int) -> ConfigStandard:
    return get_or_404(db, ConfigStandard, standard_id)


@dataclass
class LoadResult:
    added: int
    updated: int
    skipped: list[str]  # 分类代码 the tree lacks (only when loading with ``skip_unknown``)


@transactional
def load_standards(db: Session, actor: User | None, rows: list[dict[str, str]], skip_unknown: bool = False,
                   catalogue: str = DEFAULT_CATALOGUE) -> LoadResult:
    """Add or update the standards of the rows' categories (matched by 分类代码); ``actor`` None is the command
    line or the defaults. A code the tree lacks is an error naming its row, or skipped with ``skip_unknown``."""
    if actor is not None:
        require(actor, "manage_catalogue")
    cats = {c.code: c for c in db.exec(select(Category).where(Category.catalogue == catalogue))}
    existing = {s.category_id: s for s in db.exec(select(ConfigStandard))}
    seen: set[str] = set()
    added = updated = 0
    skipped: list[str] = []
    for i, raw in enumerate(rows, start=2):
        code = (raw.get("分类代码") or "").strip()
        if not code:
            raise InvalidInput(f"第 {i} 行：分类代码不能为空。", "分类代码")
        if code in seen:
            raise InvalidInput(f"第 {i} 行：分类代码 {code} 重复。", "分类代码")
        seen.add(code)
        cat = cats.get(code)
        if cat is None:
            if skip_unknown:
                skipped.append(code)
                continue
            raise InvalidInput(f"第 {i} 行：分类代码 {code} 不存在。", "分类代码")
        try:
            figures = _parse({k: raw.get(col) for k, (col, _label, _kind) in FIELDS.items()})
        except InvalidInput as e:
            raise InvalidInput(f"第 {i} 行：{e.message}", FIELDS.get(e.field or "", (e.field,))[0]) from None
        row = existing.get(cat.id)
        if row is None:
            row = existing[cat.id] = ConfigStandard(category_id=cat.id)
            db.add(row)
            added += 1
        else:
            updated += 1
        _apply(row, figures)
    db.flush()
    _check_groups(db)
    log_event(db, actor, "standard", 0, "load", f"导入配置标准：新增 {added} 个，更新 {updated} 个"
              + (f"，跳过分类树中没有的 {len(skipped)} 个" if skipped else ""),
              after={"added": added, "updated": updated, "skipped": skipped})
    return LoadResult(added, updated, skipped)


def any_standard(db: Session) -> bool:
    return db.exec(select(ConfigStandard.id).limit(1)).first() is not None


def load_defaults(db: Session) -> LoadResult:
    """The central standard's figures shipped with the product, for the categories the tree has."""
    return load_standards(db, None, read_csv(DEFAULTS.read_bytes(), ("分类代码",), "配置标准"), skip_unknown=True)


def export_rows(db: Session) -> tuple[list[str], list[list[Any]]]:
    """The whole table in the columns ``load_standards`` reads back: (headers, rows)."""
    rows = []
    for s, code, name in db.exec(select(ConfigStandard, Category.code, Category.name)
                                 .join(Category, Category.id == ConfigStandard.category_id).order_by(Category.code)):
        rows.append([code, name, *("" if getattr(s, k) is None else getattr(s, k) for k in FIELDS)])
    return COLUMNS, rows


def export_csv(db: Session) -> str:
    return sheets.csv_text(*export_rows(db))


def read_standards_csv(data: bytes) -> list[dict[str, str]]:
    return read_csv(data, ("分类代码",), "配置标准")


# --- the list ----------------------------------------------------------------------------------------------


def _cats(db: Session, rows: list[ConfigStandard]) -> dict[str, Any]:
    ids = [r.category_id for r in rows]
    found = db.exec(select(Category.id, Category.code, Category.name).where(Category.id.in_(ids))).all() if ids else []
    return {"cats": {i: (c, n) for i, c, n in found}}


def _yuan(v: Decimal | None) -> str:
    return "" if v is None else f"{money(v):,.2f}"


def _pct(v: int | None) -> str:
    return "" if v is None else f"{v}%"


STANDARD_LIST = ListSpec(
    key="standards", title="配置标准", model=ConfigStandard,
    columns=(
        Column("code", "分类代码", lambda s, x: x["cats"].get(s.category_id, ("", ""))[0]),
        Column("category", "分类", lambda s, x: x["cats"].get(s.category_id, ("", ""))[1]),
        Column("price_cap", "价格上限（元）", lambda s, _: _yuan(s.price_cap)),
        Column("price_cap_senior", "司局级（元）", lambda s, _: _yuan(s.price_cap_senior)),
        Column("price_cap_junior", "处级及以下（元）", lambda s, _: _yuan(s.price_cap_junior)),
        Column("quantity_share", "数量比例", lambda s, _: _pct(s.quantity_share)),
        Column("quantity_share_confidential", "涉密网络", lambda s, _: _pct(s.quantity_share_confidential)),
        Column("quantity_group", "限额组", lambda s, _: s.quantity_group),
        Column("min_life_years", "最低使用年限（年）", lambda s, _: s.min_life_years),
        Column("depreciation_years", "折旧年限（年）", lambda s, _: s.depreciation_years),
        Column("note", "依据", lambda s, _: s.note),
    ),
    sorts={"code": ("按分类代码", (select(Category.code).where(Category.id == ConfigStandard.category_id)
                                   .scalar_subquery(), ConfigStandard.id)), "newest": ("最近新增", (ConfigStandard.id.desc(),))},
    search=(named(ConfigStandard.category_id, Category), like(ConfigStandard.quantity_group), like(ConfigStandard.note)),
    lookups=_cats,
)
