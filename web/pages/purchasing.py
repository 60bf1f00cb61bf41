"""Central purchasing: open needs by category, batches, purchase records, receiving into the warehouse."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market import purchasing as svc
from market.models import Asset, PurchaseBatch, User
from web import lists, params
from web.endpoints import form_action, page
from web.params import path_id


def _page(request: Request, db: Session, user: User, error: str | None = None, status: int = 200) -> Response:
    return lists.list_page(request, db, user, svc.BATCH_LIST, "purchasing.html", lambda lp: {
        "board": svc.board(db, user), "actions": lambda b: svc.batch_actions(user, b), "saving": svc.batch_saving,
        "error": error}, status_code=status)


@page("/purchasing")
def purchasing(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _page(request, db, user)


def _act(path: str):  # noqa: ANN202
    return form_action(path, "/purchasing", lambda request, db, user, error, status, form: _page(
        request, db, user, error, status))


@_act("/purchasing/batches")
def batch_create(request: Request, db: Session, user: User, form: FormData) -> None:
    svc.create_batch(db, user, params.integer(form, "category", "资产分类", 1))


@_act("/purchasing/batches/{id}/purchase")
def batch_purchase(request: Request, db: Session, user: User, form: FormData) -> None:
    svc.record_purchase(db, user, path_id(request), params.text(form, "supplier", "供应商", PurchaseBatch.supplier),
                        params.money(form, "unit_price", "成交单价", required=True),
                        params.integer(form, "quantity", "采购数量", 1, 100000, required=False))


@_act("/purchasing/batches/{id}/receive")
def batch_receive(request: Request, db: Session, user: User, form: FormData) -> None:
    svc.receive_batch(db, user, path_id(request), params.integer(form, "warehouse", "仓库", 1),
                      params.text(form, "name", "资产名称", Asset.name),
                      params.text(form, "brand", "品牌", Asset.brand, required=False),
                      params.text(form, "model", "规格型号", Asset.model, required=False))


