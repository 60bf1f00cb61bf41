"""The pool, listings and receiving stock."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from market.infra.principals import Principal
from market.pool import browse
from market.pool.index import PoolIndex
from search import fields
from web.api.registry import STR, declare
from web.api.schemas import BOOL, INT, NUM, arr, mapping, opt, shape
from web.endpoints import pool_read
from web.params import query_dict

HIT = {"type": "object", "required": ["id", "title"], "properties": {
    "id": STR, "title": STR, "tier": STR, "holder": STR, "quantity": INT, "lat": opt(NUM), "lng": opt(NUM),
    "conditions": arr(STR), "condition": opt(STR), "modes": arr(STR)}}  # and the search document's other fields
SEARCH = shape(total=INT, hits=arr(HIT), facets=mapping(mapping(INT)), relaxed=BOOL, nearest=arr(STR))
SEARCH_PARAMS = list(fields.QUERY_PARAMS)  # declared with the search vocabulary (search/fields.py)


@declare("GET", "/api/search", "搜索公物池（分面、筛选、排序、高亮）", "公物池", query=SEARCH_PARAMS, wrap=pool_read, returns=SEARCH)
def search_pool(request: Request, who: Principal, index: PoolIndex, wait: bool) -> dict[str, Any] | None:
    result = browse.search_in(index, browse.query_from(query_dict(request), who.origin), wait)
    if result is None:
        return None
    hits = result.hits  # fresh dicts of this search: completed in place rather than copied
    for h in hits:
        h["condition"] = (h.get("conditions") or [None])[0]
    # relaxed: no result holds every word, these hold some (the page says so); nearest: nothing matched, terms to try
    return {"total": result.total, "hits": hits, "facets": result.facets, "relaxed": result.relaxed,
            "nearest": result.nearest}


@declare("GET", "/api/suggest", "输入提示", "公物池", query=[("q", STR, "已输入的前缀")], wrap=pool_read, returns=shape(suggestions=arr(STR)))
def suggest(request: Request, who: Principal, index: PoolIndex, wait: bool) -> dict[str, Any] | None:
    found = browse.suggest_in(index, query_dict(request).get("q", ""), wait=wait)
    return None if found is None else {"suggestions": found}








