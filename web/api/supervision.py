"""Statistics, evaluation, idle alerts, inventory counts and central purchasing through the API."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from market import counts, evaluation, purchasing, stats
from market.assets import long_idle
from market.errors import InvalidInput
from market.models import User, utcnow
from web.api.registry import INT, STR, declare, obj
from web.api.serialize import to_json
from web.params import field, path_id, small_id


@declare("GET", "/api/stats", "运行统计：各项指标（含计算方法）与图表数据", "统计与监管")
def dashboard(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return asdict(stats.dashboard(db, user))


@declare("GET", "/api/stats/records", "指标背后的明细记录", "统计与监管", query=[
    ("kind", {"enum": list(stats.RECORD_KINDS)}, "明细类型"), ("category", INT, "分类"), ("unit", INT, "单位"),
    ("month", STR, "月份 YYYY-MM")])
def records(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    q = request.query_params
    headers, rows = stats.records(
        db, user, q.get("kind", ""), small_id(q.get("category")), small_id(q.get("unit")),
        q.get("month") if len(q.get("month", "")) == 7 else None)
    return {"headers": headers, "rows": rows}


@declare("GET", "/api/evaluation", "单位绩效评价", "统计与监管", query=[("year", INT, "年度")])
def scores(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    raw = request.query_params.get("year", "")
    year = small_id(raw) or 0
    year = year if 2000 <= year <= 2100 else utcnow().year
    return {"year": year, "weights": evaluation.weights(db),
            "indicators": {k: {"label": v[0], "method": v[1]} for k, v in evaluation.INDICATORS.items()},
            "units": [{"unit": s.unit.name, "unit_id": s.unit.id, "values": s.values, "score": s.score}
                      for s in evaluation.evaluate(db, user, year)]}


@declare("POST", "/api/evaluation/weights", "设置绩效指标权重", "统计与监管", write=True,
         body={"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 100}})
def weights(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("请求体须为 {指标: 权重} 对象。")
    return {"weights": evaluation.set_weights(db, user, body)}


@declare("GET", "/api/idle", "长期闲置资产", "统计与监管", query=[("days", INT, "闲置天数")])
def idle(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    raw = request.query_params.get("days", "")
    days = small_id(raw)
    days = days if days is not None and days < 10000 else None
    return {"items": [{"asset_id": i.asset.id, "tag": i.asset.tag, "name": i.asset.name, "unit": i.unit,
                       "since": i.since.isoformat(), "days": i.days} for i in long_idle(db, user, days)]}


@declare("GET", "/api/counts", "盘点列表", "盘点")
def list_counts(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return {"counts": [to_json(c, summary=counts.summary(db, c)) for c in counts.list_counts(db, user)]}


@declare("POST", "/api/counts", "开始盘点（仓库或单位）", "盘点", write=True,
         body=obj([], warehouse_id=INT, unit_id=INT, title=STR))
def start(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    body = body or {}
    c = counts.start_count(db, user, field(body, "warehouse_id", int, required=False),
                           field(body, "unit_id", int, required=False), field(body, "title", str, required=False) or "")
    return to_json(c, summary=counts.summary(db, c))


@declare("POST", "/api/counts/{id}/reads", "提交扫描器读到的标签或 EPC", "盘点", write=True, body=obj(
    ["reads"], reads={"type": "array", "items": STR, "maxItems": 200000}, location=STR, condition=STR))
def reads(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    items = field(body, "reads", list)
    if not all(isinstance(x, str) for x in items):
        raise InvalidInput("reads 须为字符串列表。", "reads")
    r = counts.record_reads(db, user, path_id(request), items, (field(body, "location", str, required=False) or "")[:200],
                            field(body, "condition", str, required=False) or "")
    return asdict(r)


@declare("GET", "/api/counts/{id}", "盘点结果与差异", "盘点")
def get_count(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    c = counts.visible_count(db, user, path_id(request))
    return to_json(c, summary=counts.summary(db, c), issues=[
        {"line_id": line.id, "kind": kind, "tag": line.tag, "asset_id": line.asset_id, "resolution": line.resolution}
        for kind, line, _ in counts.issues(db, c, user)])


@declare("POST", "/api/counts/lines/{id}/resolve", "处理一处差异", "盘点", write=True,
         body=obj(["resolution"], resolution={"enum": ["found", "lost", "moved", "condition", "accepted"]}, note=STR))
def resolve(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(counts.resolve(db, user, path_id(request), field(body, "resolution", str),
                                  (field(body, "note", str, required=False) or "")[:300]))


@declare("POST", "/api/counts/{id}/close", "结束盘点", "盘点", write=True)
def close(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    c = counts.close_count(db, user, path_id(request))
    return to_json(c, summary=counts.summary(db, c))


@declare("GET", "/api/purchasing", "待采购需求与采购批次", "集中采购")
def purchasing_state(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    saved, n = purchasing.total_saving(db)
    needs = purchasing.open_needs(db, user) if user.role == "warehouse_admin" else []
    return {"saved": str(saved), "batches_bought": n,
            "needs": [{"category_id": g.category.id, "category": g.category.name, "quantity": g.quantity} for g in needs],
            "batches": [to_json(b, saving=str(purchasing.batch_saving(b))) for b in purchasing.list_batches(db, user)]}


@declare("POST", "/api/purchasing/batches", "把某分类的待采购需求合成一个批次", "集中采购", write=True,
         body=obj(["category_id"], category_id=INT))
def batch(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(purchasing.create_batch(db, user, field(body, "category_id", int)))


@declare("POST", "/api/purchasing/batches/{id}/purchase", "登记采购", "集中采购", write=True,
         body=obj(["supplier", "unit_price"], supplier=STR, unit_price=STR, quantity=INT))
def purchase(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(purchasing.record_purchase(db, user, path_id(request), field(body, "supplier", str),
                                              str(field(body, "unit_price", (str, int, float))),
                                              field(body, "quantity", int, required=False)))


@declare("POST", "/api/purchasing/batches/{id}/receive", "采购资产入库（逐件贴标）", "集中采购", write=True,
         body=obj(["warehouse_id", "name"], warehouse_id=INT, name=STR, brand=STR, model=STR))
def receive(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(purchasing.receive_batch(db, user, path_id(request), field(body, "warehouse_id", int),
                                            field(body, "name", str)[:120],
                                            (field(body, "brand", str, required=False) or "")[:60],
                                            (field(body, "model", str, required=False) or "")[:80]))
