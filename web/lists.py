"""Lists on pages and in the API, through the one list component (``market.lists``): the same parameters in
both, links that keep them, the JSON shape of a page of rows, and the export of everything filtered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import lists
from market.errors import InvalidInput
from market.lists import ListPage, ListSpec
from market.models import User
from web.responses import table_file
from web.templating import render

EXPORT_FORMATS = ("xlsx", "csv")


def query_params(spec: ListSpec) -> list[tuple[str, dict[str, Any], str]]:
    """The list's parameters for the OpenAPI schema (the same names the page uses)."""
    from web.api.registry import INT, STR  # (not at the top: the API package imports this module)

    out = [("q", STR, "搜索词（空格分隔，全部匹配）")]
    for f in spec.filters:
        out.append((f.key, {"enum": list(f.choices)} if f.choices is not None else INT, f.label))
    return out + [("sort", {"enum": list(spec.sorts)}, "排序：" + "、".join(f"{k} {v[0]}" for k, v in spec.sorts.items())),
                  ("page", {"type": "integer", "minimum": 1}, "页码"),
                  ("per_page", {"type": "integer", "minimum": 1, "maximum": lists.MAX_PER_PAGE}, "每页条数"),
                  ("export", {"enum": list(EXPORT_FORMATS)}, "导出筛选结果的全部行：xlsx 或 csv")]


def export_format(request: Request) -> str | None:
    """The ``export`` parameter of a list or table page: ``xlsx``, ``csv`` or None (the page itself)."""
    fmt = request.query_params.get("export")
    if fmt and fmt not in EXPORT_FORMATS:
        raise InvalidInput("export 须为 xlsx 或 csv。", "export")
    return fmt or None


def read(request: Request, db: Session, user: User | None, spec: ListSpec) -> ListPage | Response:
    """A page of the list, or — with ``export`` — a file of every row the filters keep."""
    query = lists.parse_query(spec, dict(request.query_params.items()))
    fmt = export_format(request)
    if fmt:
        headers, rows = lists.export(db, user, spec, query)
        return table_file(headers, rows, fmt, spec.key, spec.title)
    return lists.read_list(db, user, spec, query)


def as_json(lp: ListPage, row: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    return {lp.spec.key: [row(r) for r in lp.rows], "total": lp.total, "page": lp.query.page,
            "pages": lp.pages, "per_page": lp.query.per_page}


def context(db: Session, user: User, lp: ListPage, keep: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the page's list controls and pager need (``_list.html``). ``keep``: a page's own parameters (which
    records, how long idle) that every link of the list carries too."""
    kept = {k: str(v) for k, v in (keep or {}).items() if v not in (None, "")}

    def link(**change: Any) -> str:
        params = kept | lp.query.params(lp.spec, **change)
        return "?" + urlencode(params) if params else "?"

    return {"lp": lp, "rows": lp.rows, "options": lists.options(db, user, lp.spec), "link": link}


def list_page(request: Request, db: Session, user: User, spec: ListSpec, template: str,
              extra: Callable[[ListPage], dict[str, Any]] | None = None, keep: Mapping[str, Any] | None = None,
              status_code: int = 200) -> Response:
    """A list's page: ``template`` with the list's context (and ``extra(lp)``), or the export of every row."""
    lp = read(request, db, user, spec)
    if isinstance(lp, Response):
        return lp
    return render(request, template, context(db, user, lp, keep) | (extra(lp) if extra else {}),
                  status_code=status_code)


def list_json(request: Request, db: Session, user: User | None, spec: ListSpec,
              row: Callable[[ListPage], Callable[[Any], dict[str, Any]]],
              extra: Callable[[ListPage], dict[str, Any]] | None = None) -> dict[str, Any] | Response:
    """A list's API answer: a page of rows as JSON (``row(lp)`` turns a row into its object; ``extra(lp)`` adds
    keys of the endpoint's own), or the export of every row."""
    lp = read(request, db, user, spec)
    if isinstance(lp, Response):
        return lp
    return (extra(lp) if extra else {}) | as_json(lp, row(lp))
