"""The browse page, the front door: search the pool with facets, filters, sort and highlighting.

It is answered as the search API is (``web.endpoints.pool_page``): from memory, in the event loop, its query
read as the API reads it. The facet panel and the result cards, most of the page, are written in Python
(``web.pages.pool_parts``); the template places them. It reads parameters by subscript (``p['q']``): Jinja's
``p.q`` on a dict tries the attribute first and raises."""

from __future__ import annotations

from itertools import islice

from starlette.requests import Request
from starlette.responses import Response

from market.infra.principals import Principal
from market.pool import browse
from market.pool.index import PoolIndex
from search import fields
from web.endpoints import pool_page
from web.pages.pool_parts import Links, cards_html, panel_html
from web.params import query_dict
from web.templating import render

KEEP = fields.PARAM_NAMES  # the search API's parameters: the query, filters, sort and page
FACET_VALUES = 12  # values shown per facet


class Params(dict):
    """The page's parameters; an absent one reads as "" (``p['q']`` in the template, with no exception)."""

    def __missing__(self, key: str) -> str:
        return ""


@pool_page("/")
def pool(request: Request, who: Principal, index: PoolIndex, wait: bool) -> Response | None:
    params = Params((k, v) for k, v in query_dict(request).items() if k in KEEP and v)
    result = browse.search_in(index, browse.query_from(params, who.origin), wait)
    if result is None:
        return None
    links = Links(params)
    names = index.names
    panel = [(f, [(value, names.get(value, value) if f.kind == fields.CODE else f.values.get(value, value), n)
                  for value, n in islice(result.facets.get(f.key, {}).items(), FACET_VALUES)])
             for f in fields.PANEL]
    pages = max(1, -(-result.total // browse.PER_PAGE))
    return render(request, "pool.html", {
        "result": result, "p": params, "link": links, "panel_html": panel_html(panel, params, links),
        "cards_html": cards_html(result.hits), "pages": pages,
        "page_no": int(params.get("page", "1")), "sorts": browse.SORT_LABELS, "filters": fields.FILTERS,
    })
