"""Browsing the pool through the search index: a user's query and filters in, hits and facets out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select as sa_select
from sqlmodel import Session

from search import SearchError, SearchQuery, SearchResult

from .errors import InvalidInput
from .models import CONDITIONS, Category, User
from .permissions import require_user
from .principals import place_of
from .search_index import PoolIndex, index_for_search

FILTERS = ("category", "district", "holder", "condition", "tier", "mode")
FACETS = ("category", "district", "holder", "condition", "tier", "mode")
TIER_LABELS = {"warehouse": "公物仓库存", "idle": "单位闲置", "rental": "市场租赁"}
MODE_LABELS = {"loan": "出借", "transfer": "调剂"}
SORT_LABELS = {"relevance": "相关度", "distance": "距离最近", "newest": "最新发布"}
PER_PAGE = 20
_CATEGORY = Category.__table__


def _date(raw: str | None, name: str) -> str | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10]).isoformat()
    except ValueError:
        raise InvalidInput(f"{name} 须为日期（YYYY-MM-DD）。", name) from None


def query_from(params: Mapping[str, str], origin: tuple[float, float] | None, per_page: int = PER_PAGE) -> SearchQuery:
    """A search query from request parameters, each checked; the user's unit is the origin for distance."""
    if not isinstance(params, dict):  # a plain dict: Starlette's QueryParams.get raises and catches for each absent key
        params = dict(params.items())
    page_raw = (params.get("page") or "1").strip()
    if not page_raw.isascii() or not page_raw.isdigit() or not 1 <= int(page_raw) <= 1000:
        raise InvalidInput("page 须为 1 至 1000 的整数。", "page")
    sort = params.get("sort") or "relevance"
    if sort not in SORT_LABELS:
        raise InvalidInput("sort 须为 relevance、distance 或 newest。", "sort")
    values = {f: (params.get(f) or "").strip()[:100] or None for f in FILTERS}
    if values["tier"] and values["tier"] not in TIER_LABELS:
        raise InvalidInput("tier 须为 warehouse、idle 或 rental。", "tier")
    if values["mode"] and values["mode"] not in MODE_LABELS:
        raise InvalidInput("mode 须为 loan 或 transfer。", "mode")
    if values["condition"] and values["condition"] not in CONDITIONS:
        raise InvalidInput(f"condition 须为{'、'.join(CONDITIONS)}之一。", "condition")
    q = SearchQuery(q=(params.get("q") or "")[:100], sort=sort if sort != "distance" or origin else "relevance",
                    origin=origin, page=int(page_raw), per_page=per_page, facets=FACETS,
                    available_from=_date(params.get("available_from"), "available_from"),
                    available_to=_date(params.get("available_to"), "available_to"), **values)
    try:
        q.validate()
    except SearchError as exc:
        raise InvalidInput(exc.message, exc.field) from None
    return q


def user_origin(db: Session, user: User) -> tuple[float, float] | None:
    """Where distances are measured from: the user's unit, or the bureau for people of no unit."""
    return place_of(db, user.unit_id)


def search_in(index: PoolIndex, query: SearchQuery, wait: bool = True) -> SearchResult | None:
    """The search on this index; ``wait=False`` gives None rather than wait while a write holds the index (or
    when the backend answers over the network, Meilisearch)."""
    try:
        return index.backend.search(query) if wait else index.backend.search_now(query)
    except SearchError as exc:
        raise InvalidInput(exc.message, exc.field) from None


def suggest_in(index: PoolIndex, prefix: str, limit: int = 8, wait: bool = True) -> list[str] | None:
    if not prefix.strip():
        return []
    return index.backend.suggest(prefix[:50], limit) if wait else index.backend.suggest_now(prefix[:50], limit)


def search_pool(db: Session, actor: User, params: Mapping[str, str], per_page: int = PER_PAGE) -> SearchResult:
    actor = require_user(actor)
    query = query_from(params, user_origin(db, actor), per_page)
    return search_in(index_for_search(db), query)


def suggest(db: Session, actor: User, prefix: str, limit: int = 8) -> list[str]:
    require_user(actor)
    return suggest_in(index_for_search(db), prefix, limit) if prefix.strip() else []


def category_names(db: Session) -> dict[str, str]:
    """Code → name of every category (two columns, not ORM objects: this runs for every browse page)."""
    return dict(db.connection().execute(sa_select(_CATEGORY.c.code, _CATEGORY.c.name)).all())
