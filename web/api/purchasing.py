"""Central purchasing through the API."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import purchasing
from market.lists import ListPage
from market.models import Asset, PurchaseBatch, User
from web import lists
from web.api.registry import INT, MONEY, TEXT, declare, obj
from web.api.schemas import STR, YUAN, arr, listing, model, shape
from web.api.serialize import to_json
from web.params import field, path_id


@declare("GET", "/api/purchasing", "待采购需求与采购批次（批次分页、搜索、筛选、排序、导出）", "集中采购",
         query=lists.query_params(purchasing.BATCH_LIST), returns=listing(purchasing.BATCH_LIST, model(PurchaseBatch, saving=YUAN), saved=YUAN, batches_bought=INT, needs=arr(shape(category_id=INT, category=STR, quantity=INT))))
def purchasing_state(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    def board(lp: ListPage) -> dict[str, Any]:
        b = purchasing.board(db, user)
        return {"saved": str(b.saved), "batches_bought": b.bought,
                "needs": [{"category_id": g.category.id, "category": g.category.name, "quantity": g.quantity}
                          for g in b.needs]}

    return lists.list_json(request, db, user, purchasing.BATCH_LIST,
                           lambda lp: lambda b: to_json(b, saving=str(purchasing.batch_saving(b))), board)


@declare("POST", "/api/purchasing/batches", "把某分类的待采购需求合成一个批次", "集中采购", write=True,
         body=obj(["category_id"], category_id=INT), returns=model(PurchaseBatch))
def batch(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(purchasing.create_batch(db, user, field(body, "category_id", int)))


@declare("POST", "/api/purchasing/batches/{id}/purchase", "登记采购", "集中采购", write=True,
         body=obj(["supplier", "unit_price"], supplier=TEXT(PurchaseBatch.supplier, "供应商"), unit_price=MONEY,
              quantity={"type": "integer", "minimum": 1, "maximum": 100000}), returns=model(PurchaseBatch))
def purchase(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(purchasing.record_purchase(db, user, path_id(request), field(body, "supplier", str),
                                              str(field(body, "unit_price", (str, int, float))),
                                              field(body, "quantity", int, required=False)))


@declare("POST", "/api/purchasing/batches/{id}/receive", "采购资产入库（逐件贴标）", "集中采购", write=True,
         body=obj(["warehouse_id", "name"], warehouse_id=INT, name=TEXT(Asset.name, "资产名称"),
              brand=TEXT(Asset.brand, "品牌"), model=TEXT(Asset.model, "规格型号")), returns=model(PurchaseBatch))
def receive(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return to_json(purchasing.receive_batch(db, user, path_id(request), field(body, "warehouse_id", int),
                                            field(body, "name", str).strip(),
                                            (field(body, "brand", str, required=False) or "").strip(),
                                            (field(body, "model", str, required=False) or "").strip()))
