"""Per-unit performance evaluation (绩效评价): a yearly score from documented indicators whose weights the
bureau sets. An indicator a unit has no data for (no counts that year, no loans) is left out and the other
weights are scaled up, so no unit is scored on what it never did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from market import supervision
from market.access import UNIT_ROLES, require_user
from market.errors import InvalidInput, PermissionDenied
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.models import (
    Asset,
    CountLine,
    DamageRecord,
    InventoryCount,
    Order,
    OrderItem,
    Setting,
    Unit,
    User,
    utcnow,
)

INDICATORS = {
    "idle_rate": ("闲置率", "年末本单位闲置或在池资产 ÷ 在账资产；得分 = 100 × (1 − 闲置率)。"),
    "posted_share": ("闲置资产入池率", "在池资产 ÷（闲置 + 在池）资产；得分 = 100 × 入池率。"),
    "count_accuracy": ("盘点准确率", "当年已结束盘点中账面资产被盘到的比例（平均）；得分 = 100 × 准确率。"),
    "on_time_returns": ("按时归还率", "当年到期的出借中按时归还的件数 ÷ 到期件数；得分 = 100 × 比例。"),
    "damages_settled": ("赔偿结清率", "当年应由本单位赔偿的损坏记录中已结清的比例；得分 = 100 × 比例。"),
    "within_caps": ("配置数量达标率", "本单位持有资产的各限额组（配置标准的数量上限，按编制内实有人数核定）中，"
                    "现有数量不超过上限的组数 ÷ 已核定上限的组数；得分 = 100 × 比例（见监管报表）。"),
    "price_compliance": ("采购单价达标率", "当年为本单位集中采购的件数中，成交单价不超过配置标准价格上限（或经财政"
                         "超标特批）的比例；得分 = 100 × 比例（见监管报表）。"),
    "early_disposals": ("未到年限处置率", "当年申请处置的资产（含因未达最低使用年限被拒的）中，未达最低使用年限的"
                        "件数（被拒的与称损毁无法修复而提前处置的）所占比例；得分 = 100 × (1 − 比例)（见监管报表）。"),
}
DEFAULT_WEIGHTS = {"idle_rate": 30, "posted_share": 20, "count_accuracy": 20, "on_time_returns": 15,
                   "damages_settled": 15, "within_caps": 10, "price_compliance": 10, "early_disposals": 5}
ACTIVE = ("in_use", "idle", "listed", "reserved", "on_loan", "in_repair", "disposing")
SETTING_KEY = "evaluation_weights"
WEIGHT_SETTERS = frozenset({"warehouse_admin", "sysadmin"})


def year(raw: str | None) -> int:
    """The year asked for (2000 to next year), else this year."""
    now = utcnow().year
    value = int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) == 4 else 0
    return value if 2000 <= value <= now + 1 else now


def may_set_weights(actor: User | None) -> bool:
    """The bureau sets the indicators' weights: the warehouse administrators and the system administrator."""
    return actor is not None and actor.is_active and actor.role in WEIGHT_SETTERS


def weights(db: Session) -> dict[str, float]:
    row = db.get(Setting, SETTING_KEY)
    return dict(DEFAULT_WEIGHTS) | (row.value if row else {})


@transactional
def set_weights(db: Session, actor: User, new: dict[str, float]) -> dict[str, float]:
    actor = require_user(actor)
    if not may_set_weights(actor):
        raise PermissionDenied("绩效指标权重由机关事务管理局设置。")
    clean = {}
    for key, value in new.items():
        if key not in INDICATORS:
            raise InvalidInput(f"未知指标：{key}", key)
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 100:
            raise InvalidInput(f"{INDICATORS[key][0]}的权重须在 0 至 100 之间。", key)
        clean[key] = float(value)
    if sum((weights(db) | clean).values()) <= 0:
        raise InvalidInput("权重不能全为 0。")
    row = db.get(Setting, SETTING_KEY) or Setting(key=SETTING_KEY, value={})
    before = dict(row.value)
    row.value = dict(row.value) | clean
    db.add(row)
    log_event(db, actor, "setting", 0, "evaluation_weights", "修改绩效指标权重", before, row.value)
    return weights(db)


@dataclass
class UnitScore:
    unit: Unit
    values: dict[str, float | None] = field(default_factory=dict)  # each indicator as measured, 0–1, None = no data
    points: dict[str, float | None] = field(default_factory=dict)  # each indicator's score, 0–100
    score: float | None = None


LOWER_IS_BETTER = frozenset({"idle_rate", "early_disposals"})  # scored 100 × (1 − value); the others 100 × value


def points(key: str, value: float | None) -> float | None:
    """An indicator's score from its measured value, as INDICATORS' formulas say."""
    if value is None:
        return None
    return 100 * (1 - value) if key in LOWER_IS_BETTER else 100 * value


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def evaluate(db: Session, actor: User, year: int) -> list[UnitScore]:
    actor = require_user(actor)
    w = weights(db)
    units = list(db.exec(select(Unit).where(Unit.is_bureau.is_(False)).order_by(Unit.code)))
    if actor.role in UNIT_ROLES:
        units = [u for u in units if u.id == actor.unit_id]
    start, end = date(year, 1, 1), date(year, 12, 31)
    by_unit_status: dict[int, dict[str, int]] = {}
    for uid, status, n in db.exec(select(Asset.owner_unit_id, Asset.status, func.count())
                                  .where(Asset.warehouse_id.is_(None)).group_by(Asset.owner_unit_id, Asset.status)):
        by_unit_status.setdefault(uid, {})[status] = n
    supervised = supervision.unit_reports(db, units, year)
    bought = supervision.purchased_units(db, [u.id for u in units], year)
    disposed = supervision.disposal_assets(db, [u.id for u in units], year)
    out = []
    for u in units:
        s = by_unit_status.get(u.id, {})
        active = sum(s.get(x, 0) for x in ACTIVE)
        idle, listed = s.get("idle", 0), s.get("listed", 0)
        v: dict[str, float | None] = {}
        v["idle_rate"] = _ratio(idle + listed, active)
        v["posted_share"] = _ratio(listed, idle + listed)
        accs = []
        for c in db.exec(select(InventoryCount).where(InventoryCount.unit_id == u.id, InventoryCount.status == "closed")):
            if c.closed_at and start <= c.closed_at.date() <= end:
                lines = db.exec(select(CountLine.seen).where(CountLine.count_id == c.id, CountLine.expected)).all()
                if lines:
                    accs.append(sum(1 for x in lines if x) / len(lines))
        v["count_accuracy"] = sum(accs) / len(accs) if accs else None
        due = db.exec(select(Order, OrderItem).join(OrderItem, OrderItem.order_id == Order.id).where(
            Order.to_unit_id == u.id, Order.kind == "loan", Order.end_date >= start, Order.end_date <= end,
            OrderItem.handed_out_at.is_not(None))).all()
        on_time = sum(1 for o, it in due if it.returned_at is not None and it.returned_at.date() <= o.end_date)
        v["on_time_returns"] = _ratio(on_time, len(due))
        dmg = db.exec(select(DamageRecord).where(DamageRecord.payer_unit_id == u.id, DamageRecord.cause == "user")).all()
        dmg = [d for d in dmg if start <= d.created_at.date() <= end]
        v["damages_settled"] = _ratio(sum(1 for d in dmg if d.status == "settled"), len(dmg))
        r = supervised[u.id]
        held = [c for c in r.caps if c.cap is not None and c.holdings > 0]
        v["within_caps"] = _ratio(sum(1 for c in held if not c.over), len(held))
        over_price = sum(p.quantity for p in r.prices if not p.exception)
        v["price_compliance"] = _ratio(bought.get(u.id, 0) - over_price, bought.get(u.id, 0))
        applied, young = disposed.get(u.id, (0, 0))
        v["early_disposals"] = _ratio(young + r.early_refused, applied + r.early_refused)
        pts = {k: points(k, x) for k, x in v.items()}
        have = {k: x for k, x in pts.items() if x is not None and w.get(k, 0) > 0}
        total_w = sum(w[k] for k in have)
        score = sum(w[k] * x for k, x in have.items()) / total_w if total_w else None
        out.append(UnitScore(u, v, pts, score))
    return sorted(out, key=lambda s: -(s.score if s.score is not None else -1))


def export_table(scores: list[UnitScore], year: int) -> tuple[str, list[str], list[list[object]]]:
    """The evaluation as one sheet (the ``?export=`` of /evaluation, written by ``market.infra.sheets`` like
    every list's export): per unit each indicator's measured value (a fraction, 0–1) and its score (0–100) in
    columns of their own, then the weighted score; numbers stay numbers, a missing value is an empty cell."""
    headers = ["单位"]
    for label, _ in INDICATORS.values():
        headers += [f"{label}（实测值）", f"{label}（得分）"]
    headers.append("综合得分")
    rows: list[list[object]] = []
    for s in scores:
        row: list[object] = [s.unit.name]
        for key in INDICATORS:
            row += [s.values.get(key), s.points.get(key)]
        rows.append(row + [s.score])
    return f"{year} 年度绩效评价", headers, rows

