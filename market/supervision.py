"""The supervision report (监管报表) for finance and the warehouse administrators: per unit, its holdings against the
quantity caps of the configuration standards (one row per cap group), its purchases above the price caps
(finance's approved exceptions marked), and its disposals before the minimum service life (refused, and allowed
for damage beyond repair). The same figures feed the performance evaluation (``market.evaluation``).

The standards themselves — caps, holdings, what counts — are ``market.standards``'; this module only reads them
for every unit and every cap group."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from market import standards
from market.access import require_ledger_reader
from market.disposal import REFUSED_EARLY
from market.errors import NotFound
from market.lists import Column, Filter, ListSpec, like
from market.models import (
    Acquisition,
    Asset,
    Category,
    ConfigStandard,
    DisposalCase,
    DisposalItem,
    Event,
    PurchaseBatch,
    PurchaseNeed,
    Request,
    RequestLine,
    Unit,
    User,
)

# The events ``market.disposal`` logs for a disposal before the minimum service life: an application refused
# (an asset event per asset, its unit in ``after``) and the extra approval of a case damaged beyond repair (the
# case's ``approve_early`` step).
EARLY_REFUSED = REFUSED_EARLY
EARLY_ALLOWED = "approve_early"


@dataclass(frozen=True)
class CapGroup:
    """One quantity cap of the standards: a group of categories (or one category and those under it)."""

    key: int | str  # what ``standards.holdings`` takes
    label: str
    category_id: int  # a category the cap applies to (for ``standards.quantity_cap``)
    leaves: tuple[int, ...]  # the leaf categories it counts (links to the unit's assets)


def cap_groups(db: Session) -> list[CapGroup]:
    """Every quantity cap the standards table sets, once each (a group's rows share one cap). The standards
    module answers per category; the list of the caps is read here from its table."""
    rows = db.exec(select(ConfigStandard, Category.name).join(Category, Category.id == ConfigStandard.category_id)
                   .where(ConfigStandard.quantity_share.is_not(None)).order_by(Category.code)).all()
    leaves = {c.id for c in db.exec(select(Category).where(Category.is_leaf))}
    tree = standards.read_tree(db)
    seen: dict[int | str, CapGroup] = {}
    for row, name in rows:
        key: int | str = row.quantity_group or row.category_id
        if key in seen:
            continue
        cats = standards.cap_categories(db, key, tree)
        seen[key] = CapGroup(key, row.quantity_group or name, row.category_id, tuple(sorted(cats & leaves)))
    return list(seen.values())


@dataclass(frozen=True)
class CapRow:
    group: CapGroup
    holdings: int
    cap: int | None  # None: the unit's staff count is not recorded
    share: int | None
    staff: int

    @property
    def over(self) -> bool:
        return self.cap is not None and self.holdings > self.cap

    @property
    def text(self) -> str:
        if self.cap is None:
            return f"{self.group.label}：已有 {self.holdings}，未登记编制内实有人数，未核定上限"
        return (f"{self.group.label}：已有 {self.holdings} {'>' if self.over else '≤'} 上限 {self.cap}"
                f"（编制 {self.staff} 人 × {self.share}%）")


@dataclass(frozen=True)
class PriceRow:
    """A unit's purchase above the price cap: a purchase need of its request, bought in a batch at a price above
    the cap for the request's rank."""

    request_id: int
    request_number: str
    kind: str  # "use" or "acquisition"
    category: str
    quantity: int
    batch_id: int
    batch_number: str
    price: Decimal
    cap: Decimal
    exception: bool  # finance approved the request over the standard
    purchased_at: datetime | None


@dataclass(frozen=True)
class EarlyRow:
    """An attempt to dispose of assets before their minimum service life: refused, or allowed for damage."""

    allowed: bool
    at: datetime
    summary: str
    entity: str  # "disposal" or "asset"
    entity_id: int

    @property
    def link(self) -> str:
        return {"disposal": f"/disposals/{self.entity_id}", "asset": f"/assets/{self.entity_id}"}.get(
            self.entity, f"/supervision/units/{self.entity_id}")


@dataclass
class UnitReport:
    unit: Unit
    caps: list[CapRow] = field(default_factory=list)
    prices: list[PriceRow] = field(default_factory=list)
    early: list[EarlyRow] = field(default_factory=list)

    @property
    def over_caps(self) -> list[CapRow]:
        return [c for c in self.caps if c.over]

    @property
    def over_price(self) -> int:
        return sum(p.quantity for p in self.prices)

    @property
    def over_price_exceptions(self) -> int:
        return sum(p.quantity for p in self.prices if p.exception)

    @property
    def early_refused(self) -> int:
        return sum(1 for e in self.early if not e.allowed)

    @property
    def early_allowed(self) -> int:
        return sum(1 for e in self.early if e.allowed)

    @property
    def flagged(self) -> bool:
        return bool(self.over_caps or self.prices or self.early)


def _bounds(year: int | None) -> tuple[datetime, datetime] | None:
    if year is None:
        return None
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def price_rows(db: Session, unit_ids: list[int], year: int | None = None) -> dict[int, list[PriceRow]]:
    """unit id → its purchases above the price cap (a batch purchased at a price above the cap of the request's
    rank; rank-less requests against the stricter cap, as ``standards.price_cap`` says), in ``year`` if given."""
    stmt = (select(PurchaseNeed, PurchaseBatch, Request)
            .join(PurchaseBatch, PurchaseBatch.id == PurchaseNeed.batch_id)
            .join(RequestLine, RequestLine.id == PurchaseNeed.request_line_id)
            .join(Request, Request.id == RequestLine.request_id)
            .where(Request.unit_id.in_(unit_ids or [0]), PurchaseBatch.unit_price.is_not(None),
                   PurchaseBatch.status.in_(["purchased", "received"]), PurchaseNeed.status != "cancelled"))
    span = _bounds(year)
    if span:
        stmt = stmt.where(PurchaseBatch.purchased_at >= span[0], PurchaseBatch.purchased_at < span[1])
    rows = db.exec(stmt.order_by(PurchaseBatch.purchased_at, PurchaseNeed.id)).all()
    acqs = {a.request_id: a for a in db.exec(select(Acquisition).where(
        Acquisition.request_id.in_({r.id for _, _, r in rows} or {0})))}
    cats = dict(db.exec(select(Category.id, Category.name)).all())
    caps: dict[tuple[int, str], Decimal | None] = {}
    out: dict[int, list[PriceRow]] = {}
    for need, batch, req in rows:
        acq = acqs.get(req.id)
        rank = acq.rank if acq else ""
        if (batch.category_id, rank) not in caps:
            caps[(batch.category_id, rank)] = standards.price_cap(db, batch.category_id, rank or None)
        cap = caps[(batch.category_id, rank)]
        if cap is None or batch.unit_price <= cap:
            continue
        out.setdefault(req.unit_id, []).append(PriceRow(
            req.id, req.number, req.kind, cats.get(batch.category_id, ""), need.quantity, batch.id, batch.number,
            batch.unit_price, cap, bool(acq and acq.outcome == "approved"), batch.purchased_at))
    return out


def early_rows(db: Session, unit_ids: list[int], year: int | None = None) -> dict[int, list[EarlyRow]]:
    """unit id → its disposals before the minimum service life, refused and allowed (from the event log: a
    refusal leaves no disposal case, only its event), in ``year`` if given."""
    stmt = select(Event).where(or_(and_(Event.action == EARLY_REFUSED, Event.entity == "asset"),
                                   and_(Event.action == EARLY_ALLOWED, Event.entity == "disposal")))
    span = _bounds(year)
    if span:
        stmt = stmt.where(Event.at >= span[0], Event.at < span[1])
    events = list(db.exec(stmt.order_by(Event.id)))
    owner = {
        "disposal": dict(db.exec(select(DisposalCase.id, DisposalCase.unit_id).where(DisposalCase.id.in_(
            {e.entity_id for e in events if e.entity == "disposal"} or {0}))).all()),
        "asset": dict(db.exec(select(Asset.id, Asset.owner_unit_id).where(Asset.id.in_(
            {e.entity_id for e in events if e.entity == "asset"} or {0}))).all()),
    }
    wanted = set(unit_ids)
    out: dict[int, list[EarlyRow]] = {}
    for e in events:  # the unit when it happened (an asset may have changed hands since)
        unit_id = (e.after or {}).get("unit_id") or owner.get(e.entity, {}).get(e.entity_id)
        if unit_id in wanted:
            out.setdefault(unit_id, []).append(EarlyRow(e.action == EARLY_ALLOWED, e.at, e.summary, e.entity,
                                                        e.entity_id))
    return out


def _cap_rows(db: Session, unit: Unit, groups: list[CapGroup], tree: Any, held: dict[int, int]) -> list[CapRow]:
    rows = []
    for g in groups:
        q = standards.quantity_cap(db, unit, g.category_id, tree)
        rows.append(CapRow(g, standards.holdings_in(held, db, g.key, tree), q.cap, q.share, q.staff))
    return rows


def unit_reports(db: Session, units: list[Unit], year: int | None = None) -> dict[int, UnitReport]:
    """Every figure of the report for these units (caps as they stand now; purchases and disposals in ``year``,
    or all of them)."""
    groups = cap_groups(db)
    ids = [u.id for u in units]
    prices, early = price_rows(db, ids, year), early_rows(db, ids, year)
    tree = standards.read_tree(db)  # once for the report, not twice per unit and cap
    held = standards.held_counts(db, ids)  # one query for every unit and category, not one per unit and cap
    return {u.id: UnitReport(u, _cap_rows(db, u, groups, tree, held[u.id]), prices.get(u.id, []),
                             early.get(u.id, [])) for u in units}


def report_units(db: Session) -> list[Unit]:
    return list(db.exec(select(Unit).where(Unit.is_bureau.is_(False)).order_by(Unit.code)))


# --- the list: one row per unit, over-cap units first --------------------------------------------------------


FLAGS = {"over_cap": "超出数量上限", "over_price": "超价格上限采购", "early": "未到最低使用年限处置"}


def _scope(actor: User) -> Any:
    require_ledger_reader(actor)  # the report is the bureau's and the supervisors': refused to anybody else
    return Unit.is_bureau.is_(False)


def _caps_text(r: UnitReport) -> str:
    return "；".join(c.text for c in r.over_caps)


# The report's list as declared (columns, parameters); ``report_list`` fills in what only the figures of the moment
# can say: which units are over a cap (the first sort) and which are in each filter.
REPORT_LIST = ListSpec(
    key="supervision", title="监管报表", model=Unit,
    columns=(
        Column("code", "单位代码", lambda u, _: u.code),
        Column("unit", "单位", lambda u, _: u.name),
        Column("staff", "编制内实有人数", lambda u, _: u.staff_count),
        Column("confidential", "涉密网络", lambda u, _: "是" if u.confidential_network else ""),
        Column("over_caps", "超出数量上限（组）", lambda u, x: len(x[u.id].over_caps)),
        Column("over_caps_detail", "超限情况", lambda u, x: _caps_text(x[u.id])),
        Column("over_price", "超价格上限采购（件）", lambda u, x: x[u.id].over_price),
        Column("over_price_exceptions", "其中特批（件）", lambda u, x: x[u.id].over_price_exceptions),
        Column("early_refused", "未到年限处置被拒（件）", lambda u, x: x[u.id].early_refused),
        Column("early_allowed", "损毁准予提前处置（单）", lambda u, x: x[u.id].early_allowed),
    ),
    sorts={"flagged": ("超标单位在前", (Unit.code,)), "code": ("按单位代码", (Unit.code,))},
    filters=(Filter("flag", "情形", lambda v: Unit.id.in_([0]), FLAGS),),
    search=(like(Unit.name), like(Unit.code)),
    where=_scope,
)


def report_list(db: Session, actor: User | None) -> ListSpec:
    """The report as a list (page, API and Excel export alike), its figures read now: the units over a quantity
    cap first."""
    require_ledger_reader(actor)
    reports = unit_reports(db, report_units(db))
    over = [uid for uid, r in reports.items() if r.over_caps]
    flagged = {"over_cap": over, "over_price": [uid for uid, r in reports.items() if r.prices],
               "early": [uid for uid, r in reports.items() if r.early]}
    return replace(
        REPORT_LIST,
        sorts={"flagged": ("超标单位在前", (case((Unit.id.in_(over or [0]), 0), else_=1), Unit.code)),
               "code": ("按单位代码", (Unit.code,))},
        filters=(Filter("flag", "情形", lambda v: Unit.id.in_(flagged[v] or [0]), FLAGS),),
        lookups=lambda db, rows: {u.id: reports[u.id] for u in rows},
    )


def unit_report(db: Session, actor: User | None, unit_id: int) -> UnitReport:
    """One unit's drill-down: every cap group, every purchase above a cap, every early disposal."""
    require_ledger_reader(actor)
    unit = db.get(Unit, unit_id)
    if unit is None or unit.is_bureau:
        raise NotFound("没有这个单位。")
    return unit_reports(db, [unit])[unit.id]


def purchased_units(db: Session, unit_ids: list[int], year: int | None = None) -> dict[int, int]:
    """unit id → units bought for its requests in batches purchased (in ``year`` if given)."""
    stmt = (select(Request.unit_id, func.sum(PurchaseNeed.quantity))
            .join(PurchaseBatch, PurchaseBatch.id == PurchaseNeed.batch_id)
            .join(RequestLine, RequestLine.id == PurchaseNeed.request_line_id)
            .join(Request, Request.id == RequestLine.request_id)
            .where(Request.unit_id.in_(unit_ids or [0]), PurchaseBatch.status.in_(["purchased", "received"]),
                   PurchaseNeed.status != "cancelled"))
    span = _bounds(year)
    if span:
        stmt = stmt.where(PurchaseBatch.purchased_at >= span[0], PurchaseBatch.purchased_at < span[1])
    return {uid: int(n) for uid, n in db.exec(stmt.group_by(Request.unit_id)).all()}


def disposal_assets(db: Session, unit_ids: list[int], year: int | None = None) -> dict[int, tuple[int, int]]:
    """unit id → (assets in the disposal cases it applied for, of which before their minimum life — the cases
    with an ``early_reason``), in ``year`` if given. Assets, like the refusals the event log keeps per asset."""
    early = case((DisposalCase.early_reason != "", 1), else_=0)
    stmt = (select(DisposalCase.unit_id, func.count(), func.sum(early))
            .join(DisposalItem, DisposalItem.case_id == DisposalCase.id)
            .where(DisposalCase.unit_id.in_(unit_ids or [0])))
    span = _bounds(year)
    if span:
        stmt = stmt.where(DisposalCase.created_at >= span[0], DisposalCase.created_at < span[1])
    return {uid: (int(n), int(e or 0)) for uid, n, e in db.exec(stmt.group_by(DisposalCase.unit_id)).all()}
