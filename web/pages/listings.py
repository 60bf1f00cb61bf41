"""A unit's assets and posting idle ones; a listing's page; receiving new stock into the warehouse."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.access import UNIT_ROLES, can, require
from market.assets import unit_assets
from market.catalogue import leaf_categories
from market.errors import InvalidInput
from market.infra.eventlog import history, recent
from market.infra.rows import get_or_404
from market.models import (
    ASSET_STATUSES,
    DISPOSAL_METHODS,
    LISTING_MODES,
    Asset,
    Category,
    PoolListing,
    Unit,
    User,
    Warehouse,
)
from market.pool import listings as svc

from .. import forms
from ..handlers import page
from ..templating import render
from .requests import _path_id


def _unit_for(request: Request, db: Session, user: User) -> Unit:
    if user.role in UNIT_ROLES:
        return db.get(Unit, user.unit_id)
    unit_id = forms.small_id(request.query_params.get("unit"))
    if unit_id is not None:
        return get_or_404(db, Unit, unit_id, "unit")
    return db.exec(select(Unit).where(Unit.is_bureau)).first() or db.exec(select(Unit).order_by(Unit.id)).first()


def _assets_page(request: Request, db: Session, user: User, error: str | None = None, values: FormData | None = None,
                 status_code: int = 200) -> Response:
    unit = _unit_for(request, db, user)
    status = request.query_params.get("status") or None
    rows = unit_assets(db, user, unit.id, status if status in ASSET_STATUSES else None) if unit else []
    cats = {c.id: c for c in db.exec(select(Category))}
    units = list(db.exec(select(Unit).order_by(Unit.code))) if user.role not in UNIT_ROLES else []
    targets = [u for u in db.exec(select(Unit).order_by(Unit.code)) if unit is None or u.id != unit.id]
    return render(request, "assets.html", {
        "unit": unit, "rows": rows, "cats": cats, "status": status or "", "statuses": ASSET_STATUSES,
        "units": units, "modes": LISTING_MODES, "error": error, "values": values or {},
        "can_post": unit is not None and can(user, "post_listing", unit.id), "targets": targets,
        "can_transfer": unit is not None and can(user, "propose_transfer", unit.id),
        "can_dispose": unit is not None and can(user, "apply_disposal", unit.id), "methods": DISPOSAL_METHODS,
    }, status_code=status_code)


@page
def asset_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _assets_page(request, db, user)


@page(write=True)
def listing_create(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    try:
        listing = svc.post_idle_items(
            db, user, forms.ids(form.getlist("asset"), "asset_ids", "资产"),
            title=forms.text(form, "title", "挂牌标题", required=False, max_len=120),
            mode=str(form.get("mode") or "both"),
            available_from=forms.day(form, "available_from", "可用开始日期", required=False),
            available_until=forms.day(form, "available_until", "可用截止日期", required=False),
            description=forms.text(form, "description", "说明", required=False, max_len=2000),
        )
    except InvalidInput as exc:
        db.rollback()
        return _assets_page(request, db, user, exc.message, form, exc.status)
    return RedirectResponse(f"/listings/{listing.id}", status_code=303)


@page
def listing_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    listing = get_or_404(db, PoolListing, _path_id(request))
    items = list(db.exec(select(Asset).where(Asset.listing_id == listing.id).order_by(Asset.tag)))
    holder = db.get(Unit, listing.holder_unit_id)
    wh = db.get(Warehouse, listing.warehouse_id) if listing.warehouse_id else None
    recent_events = recent(db, "asset", [a.id for a in items])
    tags = {a.id: a.tag for a in items}
    return render(request, "listing_detail.html", {
        "listing": listing, "items": items, "holder": holder, "warehouse": wh, "events": history(db, "listing", listing.id),
        "recent": recent_events, "tags": tags,
        "category": db.get(Category, listing.category_id), "modes": LISTING_MODES,
        "available": sum(1 for a in items if a.status == "listed"),
        "can_withdraw": listing.status == "active" and can(user, "post_listing", listing.holder_unit_id)
        and (listing.warehouse_id is None or user.role == "warehouse_admin"),
        "can_request": can(user, "submit_request", user.unit_id) and listing.status == "active",
    })


@page(write=True)
def listing_withdraw(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    listing = svc.withdraw_listing(db, user, _path_id(request), forms.text(form, "reason", "撤回原因", required=False))
    return RedirectResponse(f"/listings/{listing.id}", status_code=303)


def _receive_page(request: Request, db: Session, user: User, error: str | None = None,
                  values: FormData | None = None, status_code: int = 200) -> Response:
    require(user, "receive_items")
    return render(request, "receive.html", {
        "warehouses": list(db.exec(select(Warehouse).order_by(Warehouse.code))), "categories": leaf_categories(db),
        "modes": LISTING_MODES, "error": error, "values": values or {}}, status_code=status_code)


@page
def receive_form(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _receive_page(request, db, user)


@page(write=True)
def receive_submit(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    try:
        listing = svc.receive_items(
            db, user,
            warehouse_id=forms.integer(form, "warehouse", "仓库", 1),
            category_id=forms.integer(form, "category", "资产分类", 1),
            name=forms.text(form, "name", "资产名称", max_len=120),
            quantity=forms.integer(form, "quantity", "数量", 1, 10000),
            original_value=forms.text(form, "original_value", "单价（原值）", max_len=20).replace(",", ""),
            condition=str(form.get("condition") or "全新"),
            brand=forms.text(form, "brand", "品牌", required=False, max_len=60),
            model=forms.text(form, "model", "规格型号", required=False, max_len=80),
            purchase_date=forms.day(form, "purchase_date", "取得日期", required=False),
            mode=str(form.get("mode") or "both"),
            source=forms.text(form, "source", "来源", required=False, max_len=100),
        )
    except (InvalidInput, ArithmeticError) as exc:
        db.rollback()
        message = exc.message if isinstance(exc, InvalidInput) else "单价（原值）不是有效金额。"
        return _receive_page(request, db, user, message, form, getattr(exc, "status", 422))
    return RedirectResponse(f"/listings/{listing.id}", status_code=303)


@page(write=True)
def transfer_create(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    from market.transfers import propose_transfer

    try:
        order = propose_transfer(db, user, forms.ids(form.getlist("asset"), "asset_ids", "资产"),
                                 forms.integer(form, "to_unit", "调入单位", 1),
                                 forms.text(form, "note", "调拨说明", required=False))
    except InvalidInput as exc:
        db.rollback()
        return _assets_page(request, db, user, exc.message, form, exc.status)
    return RedirectResponse(f"/orders/{order.id}", status_code=303)
