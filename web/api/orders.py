"""Orders: read, check out by tags, return with inspection, cancel; settle damage."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import orders as svc
from market.errors import InvalidInput
from market.fields import REASON_LIMIT, amount
from market.models import CONDITIONS, DAMAGE_CAUSES, DamageRecord, Order, User
from web import lists
from web.api.registry import INT, MONEY, STR, TEXT, declare, obj
from web.api.schemas import BOOL, arr, listing, model, opt, shape
from web.api.serialize import to_json
from web.params import field, path_id

ORDER = model(Order, items=arr(shape(asset_id=INT, tag=STR, name=STR, condition_out=opt(STR), condition_in=opt(STR),
                                    status=STR)), damages=arr(model(DamageRecord)),
              next_step=STR, can_hand_out=BOOL, can_return=BOOL)


def order_json(db: Session, user: User, order) -> dict[str, Any]:  # noqa: ANN001
    view = svc.order_view(db, user, order)
    items = [{"asset_id": a.id, "tag": a.tag, "name": a.name, "condition_out": it.condition_out,
              "condition_in": it.condition_in, "status": a.status} for it, a in view.items]
    return to_json(order, items=items, damages=[to_json(d) for d in view.damages], next_step=view.next_step,
                   can_hand_out=view.can_hand_out, can_return=view.can_return)


@declare("GET", "/api/orders", "单据列表（单位角色只见与本单位有关的；分页、搜索、筛选、排序、导出）", "单据",
         query=lists.query_params(svc.ORDER_LIST),
         returns=listing(svc.ORDER_LIST, model(Order), holder_queue=arr(model(Order))))
def list_orders(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, svc.ORDER_LIST, lambda lp: to_json,
                           lambda lp: {"holder_queue": [to_json(o) for o in svc.holder_queue(db, user)]})


@declare("GET", "/api/orders/{id}", "单据详情与拣货单", "单据", returns=ORDER)
def get_order(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return order_json(db, user, svc.visible_order(db, user, path_id(request)))


@declare("POST", "/api/orders/{id}/hand-out", "出库：扫描的标签须与拣货单一致", "单据", write=True,
         body=obj([], tags={"type": "array", "items": STR, "maxItems": 10000}), returns=ORDER)
def hand_out(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    tags = field(body or {}, "tags", list, required=False)
    if tags is not None and not all(isinstance(t, str) for t in tags):
        raise InvalidInput("tags 须为字符串列表。", "tags")
    order = svc.visible_order(db, user, path_id(request))
    return order_json(db, user, svc.hand_out(db, user, order.id, tags))


INSPECTION = obj(["asset_id", "condition"], asset_id=INT, condition={"enum": list(CONDITIONS)},
                 cause={"enum": [*DAMAGE_CAUSES, None]}, description=TEXT(DamageRecord.description, "说明"),
                 repair_cost=MONEY | {"type": ["string", "number", "null"]})


@declare("POST", "/api/orders/{id}/return", "归还并逐件验收", "单据", write=True,
         body=obj(["inspections"], inspections={"type": "array", "items": INSPECTION, "maxItems": 10000}), returns=ORDER)
def return_order(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    rows = field(body, "inspections", list)
    inspections: dict[int, svc.Inspection] = {}
    for i, raw in enumerate(rows):
        if not isinstance(raw, dict):
            raise InvalidInput(f"inspections[{i}] 须为对象。", "inspections")
        cost = raw.get("repair_cost")
        cause = raw.get("cause")
        if cause is not None and (not isinstance(cause, str) or cause not in DAMAGE_CAUSES):
            raise InvalidInput(f"inspections[{i}].cause 须为 {'、'.join(DAMAGE_CAUSES)} 或 null。", "inspections")
        inspections[field(raw, "asset_id", int)] = svc.Inspection(
            condition=field(raw, "condition", str), cause=cause,
            description=(field(raw, "description", str, required=False) or "").strip(),
            repair_cost=None if cost in (None, "") else amount(str(cost), "inspections", f"inspections[{i}].repair_cost"))
    order = svc.visible_order(db, user, path_id(request))
    return order_json(db, user, svc.return_loan(db, user, order.id, inspections))


@declare("POST", "/api/orders/{id}/cancel", "取消未出库的单据", "单据", write=True, body=obj([], reason=TEXT(REASON_LIMIT, "取消原因")), returns=ORDER)
def cancel(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    reason = (field(body or {}, "reason", str, required=False) or "").strip()
    return order_json(db, user, svc.cancel_order(db, user, path_id(request), reason))


@declare("POST", "/api/damages/{id}/settle", "登记赔偿到账", "单据", write=True, body=obj([], note=TEXT(REASON_LIMIT, "备注")), returns=model(DamageRecord))
def settle(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    note = (field(body or {}, "note", str, required=False) or "").strip()
    return to_json(svc.settle_damage(db, user, path_id(request), note))
