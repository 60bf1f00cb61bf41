"""The browse page, the front door: search the pool with facets, filters, sort and highlighting."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from market.models import User
from market.pool import browse
from search import fields
from web.endpoints import page
from web.templating import render

KEEP = fields.PARAM_NAMES  # the search API's parameters: the query, filters, sort and page


@page("/")
def pool(request: Request, db: Session, user: User | None, form: FormData | None) -> Response:
    params = {k: v for k, v in request.query_params.items() if k in KEEP and v}
    result = browse.search_pool(db, user, params)
    base = {k: v for k, v in params.items() if k != "page"}

    def link(**change: str | None) -> str:
        merged = {k: v for k, v in (base | change).items() if v}
        return "/?" + urlencode(merged) if merged else "/"

    names = browse.category_names(db)
    pages = max(1, -(-result.total // browse.PER_PAGE))
    return render(request, "pool.html", {
        "result": result, "p": params, "link": link, "names": names, "pages": pages,
        "page_no": int(params.get("page", "1")), "tiers": browse.TIER_LABELS, "modes": browse.MODE_LABELS,
        "sorts": browse.SORT_LABELS, "filters": fields.FILTERS, "facets": fields.PANEL,
    })
