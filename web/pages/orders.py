"""Orders (出借单, 调剂单, 租赁单): pick lists, check-out by scanning tags, return with inspection."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market import orders as svc
from market.access import can
from market.approvals import approver_role
from market.errors import InvalidInput
from market.models import (
    CONDITIONS,
    DAMAGE_CAUSES,
    ORDER_STATUSES,
    DamageRecord,
    RentalOffer,
    RentalVendor,
    Unit,
    User,
)

from .. import forms
from ..handlers import page
from ..templating import render
from .requests import _path_id


@page
def order_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    status = request.query_params.get("status") or None
    rows = svc.list_orders(db, user, status if status in ORDER_STATUSES else None)
    units = {u.id: u for u in db.exec(select(Unit))}
    return render(request, "orders.html", {"rows": rows, "units": units, "status": status or "",
                                           "statuses": ORDER_STATUSES})


def _detail(request: Request, db: Session, user: User, order, error: str | None = None, status: int = 200):  # noqa: ANN001, ANN202
    vendor = None
    if order.rental_offer_id:
        offer = db.get(RentalOffer, order.rental_offer_id)
        vendor = db.get(RentalVendor, offer.vendor_id)
    damages = list(db.exec(select(DamageRecord).where(DamageRecord.order_id == order.id)))
    return render(request, "order_detail.html", {
        "order": order, "items": svc.order_items(db, order.id), "to_unit": db.get(Unit, order.to_unit_id),
        "from_unit": db.get(Unit, order.from_unit_id) if order.from_unit_id else None, "vendor": vendor,
        "damages": damages, "conditions": CONDITIONS, "causes": DAMAGE_CAUSES, "error": error,
        "can_hand_out": can(user, "hand_out") and order.status == "allocated",
        "can_return": can(user, "take_return") and order.status == "on_loan",
        "can_settle": can(user, "settle_damage"),
        "can_decide_allot": order.kind == "allot" and order.status == "pending" and user.role == approver_role(
            db, "ownership_transfer", order.cost),
    }, status_code=status)


@page
def order_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _detail(request, db, user, svc.visible_order(db, user, _path_id(request)))


@page(write=True)
def order_hand_out(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    order = svc.visible_order(db, user, _path_id(request))
    scanned = form.getlist("tag") + re.split(r"[\s,，;；]+", str(form.get("tags") or ""))
    scanned = [t for t in scanned if str(t).strip()]
    try:
        svc.hand_out(db, user, order.id, scanned if scanned or order.kind != "rental" else None)
    except InvalidInput as exc:
        db.rollback()
        return _detail(request, db, user, svc.visible_order(db, user, order.id), exc.message, exc.status)
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


def _money(form: FormData, name: str, label: str) -> Decimal | None:
    raw = str(form.get(name) or "").strip().replace(",", "").lstrip("¥")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(f"{label}不是有效金额。", name) from None
    if not value.is_finite() or value < 0 or value > Decimal("1e9"):
        raise InvalidInput(f"{label}须为 0 至 10 亿之间的金额。", name)
    return value


@page(write=True)
def order_return(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    order = svc.visible_order(db, user, _path_id(request))
    try:
        inspections = {}
        for item, asset in svc.order_items(db, order.id):
            cause = str(form.get(f"cause_{asset.id}") or "") or None
            inspections[asset.id] = svc.Inspection(
                condition=str(form.get(f"condition_{asset.id}") or item.condition_out),
                cause=cause,
                description=forms.text(form, f"note_{asset.id}", f"{asset.tag} 的说明", required=False),
                repair_cost=_money(form, f"repair_{asset.id}", f"{asset.tag} 的维修费用"),
            )
        svc.return_loan(db, user, order.id, inspections)
    except InvalidInput as exc:
        db.rollback()
        return _detail(request, db, user, svc.visible_order(db, user, order.id), exc.message, exc.status)
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


@page(write=True)
def order_cancel(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    order = svc.cancel_order(db, user, _path_id(request), str(form.get("reason") or ""))
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


@page(write=True)
def damage_settle(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    rec = svc.settle_damage(db, user, _path_id(request), forms.text(form, "note", "备注", required=False))
    return RedirectResponse(f"/orders/{rec.order_id}" if rec.order_id else f"/assets/{rec.asset_id}", status_code=303)


@page(write=True)
def allot_approve(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    from market.transfers import approve_transfer

    order = approve_transfer(db, user, _path_id(request))
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


@page(write=True)
def allot_reject(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    from market.transfers import reject_transfer

    order = reject_transfer(db, user, _path_id(request), str(form.get("reason") or ""))
    return RedirectResponse(f"/orders/{order.id}", status_code=303)
