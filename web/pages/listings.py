"""A unit's assets and posting idle ones; a listing's page; receiving new stock into the warehouse."""

from __future__ import annotations

from sqlmodel import Session, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.access import can, require, visible
from market.catalogue import leaf_categories
from market.infra.eventlog import history, recent
from market.models import (
    LISTING_MODES,
    Asset,
    Category,
    PoolListing,
    Unit,
    User,
    Warehouse,
)
from market.pool import listings as svc
from web import params
from web.endpoints import form_action, page
from web.pages.assets import assets_rerender
from web.params import path_id
from web.templating import render


@form_action("/listings", lambda request, listing: f"/listings/{listing.id}", assets_rerender)
def listing_create(request: Request, db: Session, user: User, form: FormData) -> PoolListing:
    return svc.post_idle_items(
        db, user, params.ids(form.getlist("asset"), "asset_ids", "资产"),
        title=params.text(form, "title", "挂牌标题", required=False, max_len=120),
        mode=str(form.get("mode") or "both"),
        available_from=params.day(form, "available_from", "可用开始日期", required=False),
        available_until=params.day(form, "available_until", "可用截止日期", required=False),
        description=params.text(form, "description", "说明", required=False, max_len=2000),
    )


@page("/listings/{id}")
def listing_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    listing = visible(db, user, PoolListing, path_id(request))
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


@page("/listings/{id}/withdraw", "POST")
def listing_withdraw(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    listing = svc.withdraw_listing(db, user, path_id(request), params.text(form, "reason", "撤回原因", required=False))
    return RedirectResponse(f"/listings/{listing.id}", status_code=303)


def _receive_page(request: Request, db: Session, user: User, error: str | None = None,
                  values: FormData | None = None, status_code: int = 200) -> Response:
    require(user, "receive_items")
    return render(request, "receive.html", {
        "warehouses": list(db.exec(select(Warehouse).order_by(Warehouse.code))), "categories": leaf_categories(db),
        "modes": LISTING_MODES, "error": error, "values": values or {}}, status_code=status_code)


@page("/warehouse/receive")
def receive_form(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return _receive_page(request, db, user)


@form_action("/warehouse/receive", lambda request, listing: f"/listings/{listing.id}",
             lambda request, db, user, error, status, form: _receive_page(request, db, user, error, form, status))
def receive_submit(request: Request, db: Session, user: User, form: FormData) -> PoolListing:
    return svc.receive_items(
            db, user,
            warehouse_id=params.integer(form, "warehouse", "仓库", 1),
            category_id=params.integer(form, "category", "资产分类", 1),
            name=params.text(form, "name", "资产名称", max_len=120),
            quantity=params.integer(form, "quantity", "数量", 1, 10000),
            original_value=params.money(form, "original_value", "单价（原值）", required=True),
            condition=str(form.get("condition") or "全新"),
            brand=params.text(form, "brand", "品牌", required=False, max_len=60),
            model=params.text(form, "model", "规格型号", required=False, max_len=80),
            purchase_date=params.day(form, "purchase_date", "取得日期", required=False),
            mode=str(form.get("mode") or "both"),
            source=params.text(form, "source", "来源", required=False, max_len=100),
        )


