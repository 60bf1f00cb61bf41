"""Figures for supervisors, each with the method that produced it and a way to its records.

Definitions (shown beside every figure on the dashboard):

- 在账资产: items not disposed of or written off.
- 闲置率: items idle at their unit or waiting in the pool (status 闲置 or 在池) ÷ 在账资产.
- 公物池利用率: pool items (在池, 已调配, 出借中) handed out at least once in the last 365 days ÷ pool items.
- 调配批次 / 件数: accepted proposals per month (a 批次), and the units they allocated (stock and rentals).
- 节约资金（适用口径）: for each accepted proposal, the alternative that fits each line − the proposal's cost: a
  loan against renting the items for its days from the cheapest vendor (buying them new when nobody rents the
  category out), a transfer against buying new (market.proposals.savings). The figures against buying
  everything new and against renting everything are shown beside it, each saying what it compares.
- 减碳 / 减废: units served from stock (warehouse or idle, not rented) × the category's kg CO₂e per new
  item / typical weight per item: what making and later discarding new items would have caused.
- 集中采购节约: for bought batches, (the category's reference price − the price paid) × quantity.
- 逾期出借: loans out whose return date has passed.
- 调剂资产净值 / 在池资产净值: the net value today (market.depreciation: straight-line by month over the
  category's depreciation life) of the items ever handed out through an order (the warehouse and the pool put
  them to use again), and of the items waiting in the pool (在池).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, select

from market import lists
from market.access import require_ledger_reader
from market.accounts import unit_options
from market.assets import ASSET_COLUMNS, ASSET_FILTERS, ASSET_SEARCH
from market.depreciation import beijing_today, total_net
from market.errors import InvalidInput
from market.lists import Column, Filter, ListQuery, ListSpec, named, names, numbered
from market.models import Asset, Category, Order, OrderItem, Proposal, PurchaseBatch, Unit, User, utcnow
from market.proposals import savings
from market.purchasing import total_saving

ACTIVE = ("in_use", "idle", "listed", "reserved", "on_loan", "in_repair", "disposing")
IDLE = ("idle", "listed")
POOL = ("listed", "reserved", "on_loan")


@dataclass
class Figure:
    label: str
    value: str  # as the page shows it ("8,459 件")
    method: str
    link: str = ""
    number: float = 0  # the figure as a number, for the API and the workbook
    unit: str = ""  # 件, 元, %, 批次, 吨 …
    current: bool = False  # a state of today (the ledger as it is), not a sum over the period


BEIJING = timezone(timedelta(hours=8))
MAX_PERIOD_DAYS = 3660  # ten years


@dataclass(frozen=True)
class Period:
    """The dates a dashboard's sums and charts cover, both included (Beijing days)."""

    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as moments: midnight Beijing time of the first day and of the day after the last."""
        return (datetime.combine(self.start, time(), tzinfo=BEIJING),
                datetime.combine(self.end + timedelta(days=1), time(), tzinfo=BEIJING))

    def holds(self, moment: datetime | None) -> Any:
        """The SQL condition "``moment`` falls in the period"."""
        first, after = self.bounds()
        return and_(moment >= first, moment < after)

    def months(self) -> list[str]:
        """Every calendar month the period touches, oldest first, as YYYY-MM (the quiet ones too)."""
        out, (y, m) = [], (self.start.year, self.start.month)
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y, m + 1) if m < 12 else (y + 1, 1)
        return out


def period(start: str | None = None, end: str | None = None, today: date | None = None) -> Period:
    """The period a dashboard was asked for (``from`` / ``to`` as YYYY-MM-DD); by default the twelve calendar months
    up to today. A clear error for a date that is not one, a start after the end, or more than ten years."""
    today = today or beijing_today()

    def day(raw: str | None, field: str, label: str) -> date | None:
        raw = (raw or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw[:10]) if len(raw) <= 10 else date.fromisoformat("x")
        except ValueError:
            raise InvalidInput(f"{label}“{raw[:20]}”不是有效日期（格式：2026-01-01）。", field) from None

    last = day(end, "to", "结束日期") or today
    first = day(start, "from", "开始日期")
    if first is None:
        y, m = last.year, last.month - 11
        if m < 1:
            y, m = y - 1, m + 12
        first = date(y, m, 1)
    if first > last:
        raise InvalidInput("开始日期不能晚于结束日期。", "from")
    if (last - first).days > MAX_PERIOD_DAYS:
        raise InvalidInput("统计区间最长十年，请缩短。", "from")
    return Period(first, last)


@dataclass
class Row:
    label: str
    value: float
    text: str = ""
    link: str = ""


@dataclass
class Dashboard:
    figures: list[Figure] = field(default_factory=list)
    months: list[Row] = field(default_factory=list)  # items allocated per month
    batches: list[Row] = field(default_factory=list)  # batches per month
    idle_categories: list[Row] = field(default_factory=list)
    idle_units: list[Row] = field(default_factory=list)
    savings: list[Row] = field(default_factory=list)
    utilisation: list[Row] = field(default_factory=list)
    period: Period | None = None


def _pct(a: int, b: int) -> str:
    return f"{a / b * 100:.1f}%" if b else "—"


def _yuan(d: Decimal) -> str:
    return f"¥{d:,.2f}"


def accepted_proposals(db: Session, within: Period | None = None) -> list[Proposal]:
    stmt = select(Proposal).where(Proposal.status == "accepted").order_by(Proposal.accepted_at)
    if within is not None:
        stmt = stmt.where(within.holds(Proposal.accepted_at))
    return list(db.exec(stmt))


def served_from_stock(prop: Proposal) -> dict[str, int]:
    """Units a proposal served from stock (warehouse or idle), by category code."""
    cats = {r["id"]: r["category"] for r in prop.problem.get("requests", [])}
    out: dict[str, int] = defaultdict(int)
    for a in prop.solution.get("assignments", []):
        if a["tier"] in ("warehouse", "idle"):
            out[cats[a["request"]]] += a["quantity"]
    return out


def dashboard(db: Session, actor: User, today: date | None = None, within: Period | None = None) -> Dashboard:
    """The figures and charts: sums over ``within`` (by default the twelve months up to ``today``), and the
    ledger's state of today where a figure is one (marked ``current``)."""
    require_ledger_reader(actor)
    today = today or beijing_today()
    within = within or period(today=today)
    d = Dashboard(period=within)
    by_status = dict(db.exec(select(Asset.status, func.count()).group_by(Asset.status)).all())
    active = sum(by_status.get(s, 0) for s in ACTIVE)
    idle = sum(by_status.get(s, 0) for s in IDLE)
    pool = sum(by_status.get(s, 0) for s in POOL)
    handed_out = within.holds(OrderItem.handed_out_at)
    used = db.exec(select(func.count(func.distinct(OrderItem.asset_id))).join(Asset, Asset.id == OrderItem.asset_id)
                   .where(handed_out, Asset.status.in_(POOL))).one()
    props = accepted_proposals(db, within)
    fitting = [savings(p) for p in props]
    saved_fit = sum((f.saved for f in fitting), Decimal(0))
    saved_new = sum((p.cost_all_new - p.cost_total for p in props if p.cost_all_new is not None), Decimal(0))
    rentable = [p for p in props if p.cost_all_rented is not None]
    saved_rent = sum((p.cost_all_rented - p.cost_total for p in rentable), Decimal(0))
    units_alloc = sum(a["quantity"] for p in props for a in p.solution.get("assignments", []))
    purchase_saved, batches_n = total_saving(db, within.holds(PurchaseBatch.purchased_at))
    overdue = db.exec(select(func.count()).select_from(Order).where(
        Order.status == "on_loan", Order.end_date.is_not(None), Order.end_date < today)).one()
    cats = {c.code: c for c in db.exec(select(Category))}
    co2 = waste = 0.0
    for p in props:
        for code, q in served_from_stock(p).items():
            c = cats.get(code)
            if c is not None:
                co2 += q * c.co2e_kg_per_item
                waste += q * c.typical_weight_kg
    on = beijing_today()
    ledger = (Asset.original_value, Asset.purchase_date, Asset.category_id)
    reused = db.exec(select(*ledger).where(Asset.id.in_(
        select(OrderItem.asset_id).where(OrderItem.handed_out_at.is_not(None))))).all()
    waiting = db.exec(select(*ledger).where(Asset.status == "listed")).all()
    reused_net, waiting_net = total_net(db, reused, on), total_net(db, waiting, on)
    idle_rate = idle / active * 100 if active else 0
    use_rate = used / pool * 100 if pool else 0
    batches_q = f"&from={within.start:%Y%m%d}&to={within.end:%Y%m%d}"
    d.figures = [
        Figure("在账资产", f"{active:,} 件", "当前：未处置、未核销的资产件数。", "/stats/records?kind=active",
               active, "件", True),
        Figure("闲置率", _pct(idle, active), f"当前：闲置或在池资产 {idle:,} 件 ÷ 在账资产 {active:,} 件。",
               "/stats/records?kind=idle", round(idle_rate, 1), "%", True),
        Figure("公物池利用率", _pct(used, pool), f"统计期内出借过的公物池资产 {used:,} 件 ÷ 当前公物池资产 {pool:,} 件。",
               "/stats/records?kind=pool", round(use_rate, 1), "%"),
        Figure("调配批次", f"{len(props):,} 批次、{units_alloc:,} 件",
               f"统计期内已采纳的调配方案数（批次）；调配 {units_alloc:,} 件（含租赁）。",
               "/stats/records?kind=batches" + batches_q, len(props), "批次"),
        Figure("调配件数", f"{units_alloc:,} 件", "统计期内已采纳的调配方案调配的件数（含租赁）。",
               "/stats/records?kind=batches" + batches_q, units_alloc, "件"),
        Figure("节约资金（适用口径）", _yuan(saved_fit),
               "统计期内各已采纳方案：出借对照向最便宜的租赁商租用同样天数（无人出租的分类对照新购），永久调剂对照按分类参考单价"
               "新购，对照成本 − 方案费用，求和。", "/stats/records?kind=batches" + batches_q, float(saved_fit), "元"),
        Figure("节约资金（相对新购）", _yuan(saved_new),
               "统计期内各已采纳方案：全部按分类参考单价新购的费用 − 方案费用，求和（出借几天也按买新计，偏高）。",
               "/stats/records?kind=batches" + batches_q, float(saved_new), "元"),
        Figure("节约资金（相对租用）", _yuan(saved_rent),
               f"统计期内可全部租用的 {len(rentable)} 个方案：全部向最便宜的租赁商租用的费用 − 方案费用，求和。",
               "/stats/records?kind=batches" + batches_q, float(saved_rent), "元"),
        Figure("集中采购节约", _yuan(purchase_saved),
               f"统计期内采购的 {batches_n} 个批次：（分类参考单价 − 成交单价）× 数量，求和。", "/purchasing",
               float(purchase_saved), "元"),
        Figure("减少碳排放", f"{co2 / 1000:,.2f} 吨 CO₂e", "统计期内由库存和闲置资产满足的件数 × 分类的单件新品碳排放系数。",
               "/stats/records?kind=batches" + batches_q, round(co2 / 1000, 3), "吨 CO₂e"),
        Figure("减少废弃物", f"{waste / 1000:,.2f} 吨", "统计期内由库存和闲置资产满足的件数 × 分类的单件典型重量。",
               "/stats/records?kind=batches" + batches_q, round(waste / 1000, 3), "吨"),
        Figure("逾期出借", f"{overdue:,} 单", "当前：出借中且已过归还日期的出借单。", "/stats/records?kind=overdue",
               overdue, "单", True),
        Figure("调剂资产净值", _yuan(reused_net),
               f"当前：经公物仓出借或调剂交付过的 {len(reused):,} 件资产今日的净值之和（原值 − 按分类折旧年限逐月直线法计提的"
               "累计折旧；未设折旧年限或无取得日期的按原值）。", "", float(reused_net), "元", True),
        Figure("在池资产净值", _yuan(waiting_net),
               f"当前：在公物池中等待调剂的 {len(waiting):,} 件资产今日的净值之和（口径同上）。", "/stats/records?kind=pool",
               float(waiting_net), "元", True),
    ]
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    saved_by_month: dict[str, Decimal] = defaultdict(Decimal)
    for p, f in zip(props, fitting, strict=True):
        key = p.accepted_at.strftime("%Y-%m")
        months[key][0] += 1
        months[key][1] += sum(a["quantity"] for a in p.solution.get("assignments", []))
        saved_by_month[key] += f.saved
    for key in within.months():  # every month of the period, the quiet ones too
        n, q = months[key]
        link = f"/stats/records?kind=batches&month={key.replace('-', '')}"
        d.batches.append(Row(key, n, f"{n} 批次", link))
        d.months.append(Row(key, q, f"{q} 件", link))
        d.savings.append(Row(key, float(saved_by_month[key]), _yuan(saved_by_month[key]), link))
    cat_rows = db.exec(select(Category.id, Category.name, func.count()).join(Asset, Asset.category_id == Category.id)
                       .where(Asset.status.in_(IDLE)).group_by(Category.id, Category.name)
                       .order_by(func.count().desc()).limit(10)).all()
    d.idle_categories = [Row(name, n, f"{n} 件", f"/stats/records?kind=idle&category={cid}") for cid, name, n in cat_rows]
    totals = dict(db.exec(select(Asset.owner_unit_id, func.count()).where(Asset.status.in_(ACTIVE))
                          .group_by(Asset.owner_unit_id)).all())
    idles = dict(db.exec(select(Asset.owner_unit_id, func.count()).where(Asset.status.in_(IDLE))
                         .group_by(Asset.owner_unit_id)).all())
    names = {u.id: u.name for u in db.exec(select(Unit))}
    unit_rows = sorted(((uid, idles.get(uid, 0) / n) for uid, n in totals.items() if n >= 10),
                       key=lambda t: -t[1])[:12]
    d.idle_units = [Row(names[uid], r * 100, f"{r * 100:.1f}%", f"/stats/records?kind=idle&unit={uid}")
                    for uid, r in unit_rows]
    pool_by_cat = dict(db.exec(select(Asset.category_id, func.count()).where(Asset.status.in_(POOL))
                               .group_by(Asset.category_id)).all())
    used_by_cat = dict(db.exec(
        select(Asset.category_id, func.count(func.distinct(OrderItem.asset_id)))
        .join(Asset, Asset.id == OrderItem.asset_id)
        .where(handed_out, Asset.status.in_(POOL)).group_by(Asset.category_id)).all())
    cat_names = {c.id: c.name for c in cats.values()}
    util = sorted(((cid, used_by_cat.get(cid, 0) / n) for cid, n in pool_by_cat.items() if n), key=lambda t: -t[1])
    d.utilisation = [Row(cat_names.get(cid, str(cid)), r * 100, f"{r * 100:.1f}%",
                         f"/stats/records?kind=pool&category={cid}") for cid, r in util[:12]]
    return d


# --- the records behind the figures: one list per kind, paged and exported like every list ------------------

RECORD_KINDS = {"active": "在账资产", "idle": "闲置与在池资产", "pool": "公物池资产", "overdue": "逾期出借单",
                "batches": "已采纳的调配方案"}
RECORD_LINKS = {"active": "/assets/{}", "idle": "/assets/{}", "pool": "/assets/{}", "overdue": "/orders/{}",
                "batches": "/proposals/{}"}


def _for_ledger_readers(condition: Callable[[], Any]) -> Callable[[User], Any]:
    """A record list's condition, the list refused to anyone but the ledger's readers."""
    def where(actor: User) -> Any:
        require_ledger_reader(actor)
        return condition()
    return where


def _asset_records(kind: str, statuses: tuple[str, ...]) -> ListSpec:
    return ListSpec(
        key="records", title=RECORD_KINDS[kind], model=Asset,
        columns=(*ASSET_COLUMNS, Column("value", "原值（元）", lambda a, _: a.original_value)),
        sorts={"tag": ("资产编号", (Asset.tag,)), "value": ("原值从高到低", (Asset.original_value.desc(), Asset.tag))},
        filters=ASSET_FILTERS, search=ASSET_SEARCH,
        where=_for_ledger_readers(lambda: Asset.status.in_(statuses)),
        lookups=lambda db, rows: {"units": names(db, Unit, [a.owner_unit_id for a in rows]),
                                  "categories": names(db, Category, [a.category_id for a in rows])})


def _overdue() -> Any:
    return and_(Order.status == "on_loan", Order.end_date.is_not(None), Order.end_date < utcnow().date())


def _month(value: int) -> Any:
    """Proposals accepted in the month ``value`` (YYYYMM, as the dashboard links it)."""
    year, month = divmod(value, 100)
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise InvalidInput("月份须写作 YYYYMM，如 202701。", "month")
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    return and_(Proposal.accepted_at >= start, Proposal.accepted_at < end)


def _day_start(value: int, after: bool = False) -> datetime:
    """Midnight (Beijing) of the day ``value`` (YYYYMMDD, as the dashboard links a period), or of the day after."""
    try:
        day = date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        raise InvalidInput("日期须写作 YYYYMMDD，如 20260101。", "from") from None
    return datetime.combine(day + timedelta(days=1 if after else 0), time(), tzinfo=BEIJING)


def last_months(today: date, n: int) -> list[str]:
    """The ``n`` calendar months up to ``today``'s, oldest first, as YYYY-MM."""
    y, m = today.year, today.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _months(db: Session, actor: User) -> dict[str, str]:
    return {k.replace("-", ""): k for k in sorted({p.accepted_at.strftime("%Y-%m") for p in accepted_proposals(db)},
                                                  reverse=True)}


def _allocated(p: Proposal) -> int:
    return sum(a["quantity"] for a in p.solution.get("assignments", []))


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


RECORD_LISTS: dict[str, ListSpec] = {
    "active": _asset_records("active", ACTIVE),
    "idle": _asset_records("idle", IDLE),
    "pool": _asset_records("pool", POOL),
    "overdue": ListSpec(
        key="records", title=RECORD_KINDS["overdue"], model=Order,
        columns=(Column("number", "单号", lambda o, _: o.number),
                 Column("unit", "借用单位", lambda o, x: x["units"].get(o.to_unit_id, "")),
                 Column("quantity", "件数", lambda o, _: o.quantity),
                 Column("due", "应还日期", lambda o, _: o.end_date),
                 Column("late", "逾期天数", lambda o, _: (utcnow().date() - o.end_date).days)),
        sorts={"due": ("应还日期", (Order.end_date, Order.id)), "newest": ("最新单据", (Order.id.desc(),))},
        filters=(Filter("unit", "借用单位", lambda v: Order.to_unit_id == v, options=unit_options),),
        search=(numbered(Order.id), named(Order.to_unit_id, Unit)),
        where=_for_ledger_readers(_overdue),
        lookups=lambda db, rows: {"units": names(db, Unit, [o.to_unit_id for o in rows])}),
    "batches": ListSpec(
        key="records", title=RECORD_KINDS["batches"], model=Proposal,
        columns=(Column("proposal", "方案", lambda p, _: f"#{p.id}"),
                 Column("accepted", "采纳日期", lambda p, _: p.accepted_at.date()),
                 Column("quantity", "调配件数", lambda p, _: _allocated(p)),
                 Column("cost", "方案费用", lambda p, _: _money(p.cost_total)),
                 Column("baseline", "对照成本（适用口径）", lambda p, _: _money(savings(p).baseline)),
                 Column("saved_fit", "节约（适用口径）", lambda p, _: _money(savings(p).saved)),
                 Column("cost_all_new", "全部新购费用", lambda p, _: _money(p.cost_all_new)),
                 Column("saved", "节约（相对新购）", lambda p, _: _money(
                     None if p.cost_all_new is None else p.cost_all_new - p.cost_total))),
        sorts={"accepted": ("采纳日期", (Proposal.accepted_at, Proposal.id)),
               "newest": ("最新采纳", (Proposal.accepted_at.desc(), Proposal.id.desc()))},
        filters=(Filter("month", "月份", _month, options=_months),
                 Filter("from", "采纳日期起（YYYYMMDD）", lambda v: Proposal.accepted_at >= _day_start(v)),
                 Filter("to", "采纳日期止（YYYYMMDD）", lambda v: Proposal.accepted_at < _day_start(v, after=True))),
        search=(numbered(Proposal.id),),
        where=_for_ledger_readers(lambda: Proposal.status == "accepted")),
}


def record_list(kind: str) -> ListSpec:
    """The list of the records behind a figure, or a clear error for an unknown kind."""
    if kind not in RECORD_LISTS:
        raise InvalidInput(f"明细类型须为：{'、'.join(f'{k}（{v}）' for k, v in RECORD_KINDS.items())}。", "kind")
    return RECORD_LISTS[kind]


def workbook(db: Session, actor: User, within: Period | None = None) -> list[tuple[str, list[str], list[list[Any]]]]:
    """The dashboard as sheets (title, headers, rows): the figures (numbers as numbers, their unit beside them), the
    charts' data and every record behind the idle, overdue and batch figures (all of them, from the same lists as
    the records' pages; the batches of the period)."""
    d = dashboard(db, actor, within=within)
    within = d.period
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        ("指标", ["指标", "数值", "单位", "统计口径", "计算方法"],
         [[f.label, f.number, f.unit, "当前" if f.current else within.label, f.method] for f in d.figures])]
    for title, rows, col in (("每月调配", d.months, "件数"), ("每月批次", d.batches, "批次"),
                             ("每月节约", d.savings, "节约（元）"), ("闲置分类", d.idle_categories, "闲置件数"),
                             ("单位闲置率", d.idle_units, "闲置率（%）"), ("分类利用率", d.utilisation, "利用率（%）")):
        sheets.append((title, ["项目", col], [[r.label, round(r.value, 2)] for r in rows]))
    for kind in ("idle", "overdue", "batches"):
        query = ListQuery()
        if kind == "batches":
            query = ListQuery(filters={"from": int(f"{within.start:%Y%m%d}"), "to": int(f"{within.end:%Y%m%d}")})
        headers, rows = lists.export(db, actor, RECORD_LISTS[kind], query)
        sheets.append((RECORD_KINDS[kind][:31], headers, rows))
    return sheets
