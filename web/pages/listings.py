"""Posting a unit's idle items; the list of listings and a listing's page; receiving new stock into the warehouse."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from market.fields import REASON_LIMIT
from market.models import LISTING_MODES, Asset, PoolListing, User
from market.pool import listings as svc
from web import lists, params
from web.endpoints import form_action, page
from web.pages.assets import assets_rerender
from web.params import path_id
from web.templating import render


@form_action("/listings", lambda request, listing: f"/listings/{listing.id}", assets_rerender)
def listing_create(request: Request, db: Session, user: User, form: FormData) -> PoolListing:
    return svc.post_idle_items(
        db, user, params.ids(form.getlist("asset"), "asset_ids", "资产"),
        title=params.text(form, "title", "挂牌标题", PoolListing.title, required=False),
        mode=str(form.get("mode") or "both"),
        available_from=params.day(form, "available_from", "可用开始日期", required=False),
        available_until=params.day(form, "available_until", "可用截止日期", required=False),
        description=params.text(form, "description", "说明", PoolListing.description, required=False),
    )


@page("/listings")
def listing_list(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    return lists.list_page(request, db, user, svc.LISTING_LIST, "listings.html")


@page("/listings/{id}")
def listing_detail(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    p = svc.listing_page(db, user, path_id(request))
    return render(request, "listing_detail.html", {
        "listing": p.listing, "items": p.items, "holder": p.holder, "warehouse": p.warehouse, "events": p.events,
        "recent": p.recent, "tags": p.tags, "category": p.category, "modes": LISTING_MODES, "available": p.available,
        "actions": p.actions,
    })


@page("/listings/{id}/withdraw", "POST")
def listing_withdraw(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    listing = svc.withdraw_listing(db, user, path_id(request), params.text(form, "reason", "撤回原因", REASON_LIMIT, required=False))
    return RedirectResponse(f"/listings/{listing.id}", status_code=303)


def _receive_page(request: Request, db: Session, user: User, error: str | None = None,
                  values: FormData | None = None, status_code: int = 200) -> Response:
    warehouses, categories = svc.receive_choices(db, user)
    return render(request, "receive.html", {
        "warehouses": warehouses, "categories": categories,
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
            name=params.text(form, "name", "资产名称", Asset.name),
            quantity=params.integer(form, "quantity", "数量", 1, 10000),
            original_value=params.money(form, "original_value", "单价（原值）", required=True),
            condition=str(form.get("condition") or "全新"),
            brand=params.text(form, "brand", "品牌", Asset.brand, required=False),
            model=params.text(form, "model", "规格型号", Asset.model, required=False),
            purchase_date=params.day(form, "purchase_date", "取得日期", required=False),
            mode=str(form.get("mode") or "both"),
            source=params.text(form, "source", "来源", REASON_LIMIT, required=False),
        )


