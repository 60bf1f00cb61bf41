"""The browse page, the front door: search the pool with facets, filters, sort and highlighting.

It is answered as the search API is (``web.endpoints.pool_page``): from memory, in the event loop. The template
reads hits and parameters by subscript (``h['tier']``, ``p['q']``): Jinja's ``h.tier`` on a dict tries the
attribute first and raises, some 400 times a page."""

from __future__ import annotations

from functools import lru_cache
from itertools import islice
from urllib.parse import quote_plus

from starlette.requests import Request
from starlette.responses import Response

from market.infra.principals import Principal
from market.pool import browse
from market.pool.index import PoolIndex
from search import fields
from web.endpoints import pool_page
from web.templating import render

KEEP = fields.PARAM_NAMES  # the search API's parameters: the query, filters, sort and page
FACET_VALUES = 12  # values shown per facet


_quoted = lru_cache(maxsize=4096)(quote_plus)  # facet values (codes, districts, holders) recur page after page


class Params(dict):
    """The page's parameters; an absent one reads as "" (``p['q']`` in the template, with no exception)."""

    def __missing__(self, key: str) -> str:
        return ""


@pool_page("/")
def pool(request: Request, who: Principal, index: PoolIndex, wait: bool) -> Response | None:
    params = Params((k, v) for k, v in request.query_params.items() if k in KEEP and v)
    result = browse.search_in(index, browse.query_from(params, who.origin), wait)
    if result is None:
        return None
    base = {k: v for k, v in params.items() if k != "page"}
    quoted = {k: _quoted(v) for k, v in base.items()}  # each value encoded once, not once per link

    def link(**change: str | None) -> str:
        """This page's address with ``change`` applied (None removes a parameter), as ``urlencode`` writes it."""
        merged = base | change
        parts = [f"{k}={quoted[k] if k not in change else _quoted(v)}" for k, v in merged.items() if v]
        return "/?" + "&".join(parts) if parts else "/"

    names = index.names
    panel = [(f, [(value, names.get(value, value) if f.kind == fields.CODE else f.values.get(value, value), n)
                  for value, n in islice(result.facets.get(f.key, {}).items(), FACET_VALUES)])
             for f in fields.PANEL]
    pages = max(1, -(-result.total // browse.PER_PAGE))
    return render(request, "pool.html", {
        "result": result, "p": params, "link": link, "panel": panel, "pages": pages,
        "page_no": int(params.get("page", "1")), "tiers": browse.TIER_LABELS, "modes": browse.MODE_LABELS,
        "sorts": browse.SORT_LABELS, "filters": fields.FILTERS,
    })
