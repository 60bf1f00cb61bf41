"""Orders (出借单, 调剂单, 租赁单): pick lists, check-out by scanning tags, return with inspection."""

from __future__ import annotations

import re

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import orders as svc
from market.documents import slip_title
from market.fields import REASON_LIMIT
from market.models import CONDITIONS, DAMAGE_CAUSES, DamageRecord, Order, User
from web import lists, params
from web.endpoints import form_action, page
from web.params import path_id
from web.templating import render


@page("/orders")
def order_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.ORDER_LIST, "orders.html",
                           lambda lp: {"queue": svc.holder_queue(db, user)})


def _detail(request: Request, db: Session, user: User, error: str | None = None, status: int = 200) -> Response:
    view = svc.order_detail(db, user, path_id(request))
    return render(request, "order_detail.html", {"v": view, "order": view.order, "conditions": CONDITIONS,
                                                 "causes": DAMAGE_CAUSES, "slip_title": slip_title(view.order),
                                                 "error": error}, status_code=status)


@page("/orders/{id}")
def order_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _detail(request, db, user)


def _detail_again(request: Request, db: Session, user: User, error: str, status: int, form: FormData) -> Response:
    return _detail(request, db, user, error, status)


def _back(request: Request, order: Order) -> str:
    return f"/orders/{order.id}"


@form_action("/orders/{id}/hand-out", _back, _detail_again)
def order_hand_out(request: Request, db: Session, user: User, form: FormData) -> Order:
    order = svc.visible_order(db, user, path_id(request))
    scanned = form.getlist("tag") + re.split(r"[\s,，;；]+", str(form.get("tags") or ""))
    scanned = [t for t in scanned if str(t).strip()]
    return svc.hand_out(db, user, order.id, scanned if scanned or order.kind != "rental" else None)




@form_action("/orders/{id}/return", _back, _detail_again)
def order_return(request: Request, db: Session, user: User, form: FormData) -> Order:
    order = svc.visible_order(db, user, path_id(request))
    inspections = {}
    for item, asset in svc.order_items(db, order.id):
        cause = str(form.get(f"cause_{asset.id}") or "") or None
        inspections[asset.id] = svc.Inspection(
            condition=str(form.get(f"condition_{asset.id}") or item.condition_out),
            cause=cause,
            description=params.text(form, f"note_{asset.id}", f"{asset.tag} 的说明", DamageRecord.description, required=False),
            repair_cost=params.money(form, f"repair_{asset.id}", f"{asset.tag} 的维修费用"),
        )
    return svc.return_loan(db, user, order.id, inspections)


@page("/orders/{id}/cancel", "POST")
def order_cancel(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    order = svc.cancel_order(db, user, path_id(request), params.text(form, "reason", "取消原因", REASON_LIMIT, required=False))
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


@page("/damages/{id}/settle", "POST")
def damage_settle(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    rec = svc.settle_damage(db, user, path_id(request), params.text(form, "note", "备注", REASON_LIMIT, required=False))
    return RedirectResponse(f"/orders/{rec.order_id}" if rec.order_id else f"/assets/{rec.asset_id}", status_code=303)




