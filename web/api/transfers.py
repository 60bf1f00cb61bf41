"""Ownership transfers (调拨) through the API."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import transfers
from market.models import Order, User
from web import lists
from web.api.orders import ORDER, order_json
from web.api.registry import IDS, INT, TEXT, declare, obj
from web.api.schemas import listing, model
from web.api.serialize import to_json
from web.params import field, int_list, path_id


@declare("GET", "/api/transfers", "调拨单列表（单位角色只见调入或调出本单位的；分页、搜索、筛选、排序、导出）", "调拨与处置",
         query=lists.query_params(transfers.TRANSFER_LIST), returns=listing(transfers.TRANSFER_LIST, model(Order)))
def list_transfers(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, transfers.TRANSFER_LIST, lambda lp: to_json)


@declare("POST", "/api/transfers", "申请把资产调拨给其他单位", "调拨与处置", write=True,
         body=obj(["asset_ids", "to_unit_id"], asset_ids=IDS, to_unit_id=INT,
         note=TEXT(Order.note, "调拨说明")), returns=ORDER)
def propose(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    order = transfers.propose_transfer(db, user, int_list(body, "asset_ids"), field(body, "to_unit_id", int),
                                       (field(body, "note", str, required=False) or "").strip())
    return order_json(db, user, order)


@declare("POST", "/api/transfers/{id}/approve", "批准调拨", "调拨与处置", write=True, returns=ORDER)
def approve_transfer(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return order_json(db, user, transfers.approve_transfer(db, user, path_id(request)))


@declare("POST", "/api/transfers/{id}/reject", "驳回调拨", "调拨与处置", write=True, body=obj(["reason"], reason=TEXT(Order.note, "驳回理由")), returns=ORDER)
def reject_transfer(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return order_json(db, user, transfers.reject_transfer(db, user, path_id(request), field(body, "reason", str)))
