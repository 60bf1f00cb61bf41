"""The pool, listings and receiving stock."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select
from starlette.requests import Request

from market import browse
from market.errors import InvalidInput, NotFound
from market.models import Asset, PoolListing, User
from market.principals import Principal
from market.search_index import PoolIndex
from market.services import pool as svc
from market.services.common import get_or_404
from search import fields

from ..forms import small_id
from ..handlers import field, int_list, pool_read, query_dict
from .registry import DATE, INT, STR, declare, obj
from .serialize import to_json


def path_id(request: Request) -> int:
    number = small_id(request.path_params["id"])
    if number is None:
        raise NotFound("编号不存在。", "id")
    return number


def opt_date(body: Any, name: str) -> date | None:
    raw = field(body, name, str, required=False)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"字段 {name} 须为日期（YYYY-MM-DD）。", name) from None


SEARCH_PARAMS = list(fields.QUERY_PARAMS)  # declared with the search vocabulary (search/fields.py)


@declare("GET", "/api/search", "搜索公物池（分面、筛选、排序、高亮）", "公物池", query=SEARCH_PARAMS, wrap=pool_read)
def search_pool(request: Request, who: Principal, index: PoolIndex, wait: bool) -> dict[str, Any] | None:
    result = browse.search_in(index, browse.query_from(query_dict(request), who.origin), wait)
    if result is None:
        return None
    hits = result.hits  # fresh dicts of this search: completed in place rather than copied
    for h in hits:
        h["condition"] = (h.get("conditions") or [None])[0]
    return {"total": result.total, "hits": hits, "facets": result.facets}


@declare("GET", "/api/suggest", "输入提示", "公物池", query=[("q", STR, "已输入的前缀")], wrap=pool_read)
def suggest(request: Request, who: Principal, index: PoolIndex, wait: bool) -> dict[str, Any] | None:
    found = browse.suggest_in(index, query_dict(request).get("q", ""), wait=wait)
    return None if found is None else {"suggestions": found}


@declare("POST", "/api/listings", "把本单位的闲置资产挂牌到公物池", "公物池", write=True, body=obj(
    ["asset_ids"], asset_ids={"type": "array", "items": INT, "minItems": 1}, title=STR,
    mode={"enum": ["loan", "transfer", "both"]}, available_from=DATE, available_until=DATE, description=STR))
def create_listing(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    ids = int_list(body, "asset_ids")
    listing = svc.post_idle_items(
        db, user, ids, title=(field(body, "title", str, required=False) or "")[:120],
        mode=field(body, "mode", str, required=False) or "both", available_from=opt_date(body, "available_from"),
        available_until=opt_date(body, "available_until"),
        description=(field(body, "description", str, required=False) or "")[:2000])
    return to_json(listing, quantity=svc.listing_quantity(db, listing.id))


@declare("GET", "/api/listings/{id}", "挂牌详情及其资产", "公物池")
def get_listing(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    listing = get_or_404(db, PoolListing, path_id(request))
    items = db.exec(select(Asset).where(Asset.listing_id == listing.id).order_by(Asset.tag)).all()
    return to_json(listing, quantity=svc.listing_quantity(db, listing.id),
                   items=[{"id": a.id, "tag": a.tag, "name": a.name, "condition": a.condition, "status": a.status}
                          for a in items])


@declare("POST", "/api/listings/{id}/withdraw", "撤回挂牌", "公物池", write=True, body=obj([], reason=STR))
def withdraw_listing(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    reason = (field(body or {}, "reason", str, required=False) or "")[:200]
    return to_json(svc.withdraw_listing(db, user, path_id(request), reason))


@declare("POST", "/api/warehouse/receive", "新资产入库并挂牌", "公物池", write=True, body=obj(
    ["warehouse_id", "category_id", "name", "quantity", "original_value"], warehouse_id=INT, category_id=INT,
    name=STR, quantity={"type": "integer", "minimum": 1, "maximum": 10000}, original_value=STR,
    condition={"enum": ["全新", "良好", "一般"]}, brand=STR, model=STR, purchase_date=DATE,
    mode={"enum": ["loan", "transfer", "both"]}, source=STR))
def receive(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    value = field(body, "original_value", (str, int, float))
    try:
        from market.models import money

        amount = money(value)
    except ArithmeticError:
        raise InvalidInput("original_value 须为金额。", "original_value") from None
    listing = svc.receive_items(
        db, user, field(body, "warehouse_id", int), field(body, "category_id", int), field(body, "name", str)[:120],
        field(body, "quantity", int), amount, condition=field(body, "condition", str, required=False) or "全新",
        brand=(field(body, "brand", str, required=False) or "")[:60],
        model=(field(body, "model", str, required=False) or "")[:80],
        purchase_date=opt_date(body, "purchase_date"), mode=field(body, "mode", str, required=False) or "both",
        source=(field(body, "source", str, required=False) or "")[:100])
    return to_json(listing, quantity=svc.listing_quantity(db, listing.id))
