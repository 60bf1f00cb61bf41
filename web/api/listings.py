"""Listings (挂牌) and receiving stock into the warehouse through the API."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market.fields import REASON_LIMIT, amount
from market.models import Asset, PoolListing, User
from market.pool import listings as svc
from web import lists
from web.api.registry import DATE, INT, MONEY, TEXT, declare, obj
from web.api.schemas import STR, arr, listing, model, shape
from web.api.serialize import to_json
from web.params import field, int_list, opt_date, path_id

LISTING = model(PoolListing, quantity=INT)


@declare("POST", "/api/listings", "把本单位的闲置资产挂牌到公物池", "公物池", write=True, body=obj(
    ["asset_ids"], asset_ids={"type": "array", "items": INT, "minItems": 1, "maxItems": 10000},
    title=TEXT(PoolListing.title, "挂牌标题"), mode={"enum": ["loan", "transfer", "both"]}, available_from=DATE,
    available_until=DATE, description=TEXT(PoolListing.description, "说明")), returns=LISTING)
def create_listing(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    ids = int_list(body, "asset_ids")
    listing = svc.post_idle_items(
        db, user, ids, title=field(body, "title", str, required=False) or "",
        mode=field(body, "mode", str, required=False) or "both", available_from=opt_date(body, "available_from"),
        available_until=opt_date(body, "available_until"),
        description=field(body, "description", str, required=False) or "")
    return to_json(listing, quantity=svc.listing_quantity(db, listing.id))


@declare("GET", "/api/listings", "挂牌列表（单位角色：本单位挂牌的；公物仓与监管：全部；按状态、方式、来源、持有单位、"
         "分类筛选，按标题与说明搜索；分页、排序、导出）", "公物池", query=lists.query_params(svc.LISTING_LIST), returns=listing(svc.LISTING_LIST, model(PoolListing, holder=STR, quantity=INT, items=INT)))
def list_listings(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, svc.LISTING_LIST, lambda lp: lambda x: to_json(
        x, holder=svc.holder_name(x, lp.lookups), quantity=lp.lookups["listed"].get(x.id, 0),
        items=lp.lookups["items"].get(x.id, 0)))


@declare("GET", "/api/listings/{id}", "挂牌详情及其资产", "公物池", returns=model(PoolListing, quantity=INT, items=arr(shape(id=INT, tag=STR, name=STR, condition=STR, status=STR))))
def get_listing(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    listing, items = svc.listing_items(db, user, path_id(request))
    return to_json(listing, quantity=svc.listing_quantity(db, listing.id),
                   items=[{"id": a.id, "tag": a.tag, "name": a.name, "condition": a.condition, "status": a.status}
                          for a in items])


@declare("POST", "/api/listings/{id}/withdraw", "撤回挂牌", "公物池", write=True, body=obj([], reason=TEXT(REASON_LIMIT, "撤回原因")), returns=model(PoolListing))
def withdraw_listing(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    reason = (field(body or {}, "reason", str, required=False) or "").strip()
    return to_json(svc.withdraw_listing(db, user, path_id(request), reason))


@declare("POST", "/api/warehouse/receive", "新资产入库并挂牌", "公物池", write=True, body=obj(
    ["warehouse_id", "category_id", "name", "quantity", "original_value"], warehouse_id=INT, category_id=INT,
    name=TEXT(Asset.name, "资产名称"), quantity={"type": "integer", "minimum": 1, "maximum": 10000},
    original_value=MONEY, condition={"enum": ["全新", "良好", "一般"]}, brand=TEXT(Asset.brand, "品牌"),
    model=TEXT(Asset.model, "规格型号"), purchase_date=DATE, mode={"enum": ["loan", "transfer", "both"]},
    source=TEXT(REASON_LIMIT, "来源")), returns=LISTING)
def receive(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    value = amount(field(body, "original_value", (str, int, float)), "original_value", "original_value")
    listing = svc.receive_items(
        db, user, field(body, "warehouse_id", int), field(body, "category_id", int), field(body, "name", str).strip(),
        field(body, "quantity", int), value, condition=field(body, "condition", str, required=False) or "全新",
        brand=(field(body, "brand", str, required=False) or "").strip(),
        model=(field(body, "model", str, required=False) or "").strip(),
        purchase_date=opt_date(body, "purchase_date"), mode=field(body, "mode", str, required=False) or "both",
        source=(field(body, "source", str, required=False) or "").strip())
    return to_json(listing, quantity=svc.listing_quantity(db, listing.id))
