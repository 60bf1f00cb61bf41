"""Ownership transfers (调拨): a unit proposes to hand assets to another unit; the approver decides."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import transfers
from market.models import Order, User
from web import lists, params
from web.endpoints import form_action, page
from web.pages.assets import assets_rerender
from web.params import path_id


@page("/transfers")
def transfer_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, transfers.TRANSFER_LIST, "transfers.html")



@form_action("/transfers", lambda request, order: f"/orders/{order.id}", assets_rerender)
def transfer_create(request: Request, db: Session, user: User, form: FormData) -> Order:
    return transfers.propose_transfer(db, user, params.ids(form.getlist("asset"), "asset_ids", "资产"),
                                      params.integer(form, "to_unit", "调入单位", 1),
                                      params.text(form, "note", "调拨说明", Order.note, required=False))


@page("/orders/{id}/approve-transfer", "POST")
def allot_approve(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    order = transfers.approve_transfer(db, user, path_id(request))
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


@page("/orders/{id}/reject-transfer", "POST")
def allot_reject(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    order = transfers.reject_transfer(db, user, path_id(request), params.text(form, "reason", "驳回理由", Order.note, required=False))
    return RedirectResponse(f"/orders/{order.id}", status_code=303)
