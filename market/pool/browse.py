"""Browsing the pool through the search index: a user's query and filters in, hits and facets out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session

from market.access import require_user
from market.errors import InvalidInput
from market.infra.principals import place_of
from market.models import CONDITIONS, User
from market.pool.index import PoolIndex, index_for_search
from search import SearchError, SearchQuery, SearchResult
from search import fields as fd

# The search vocabulary is declared in search/fields.py; what the query parser needs of it, taken once.
FILTERS = tuple(f.key for f in fd.FILTERS if f.kind in fd.VALUE_KINDS)  # one string parameter each
FACETS = tuple(fd.FACET_FIELDS)
TIER_LABELS = fd.TIER.values
MODE_LABELS = fd.MODE.values
SORT_LABELS = fd.SORT_LABELS
PER_PAGE = 20


def _one_of(name: str, codes: list[str]) -> str:
    return f"{name} 须为 {'、'.join(codes[:-1])} 或 {codes[-1]}。"


_SORT_MESSAGE = _one_of("sort", list(SORT_LABELS))
_RELEVANCE, _NEEDS_ORIGIN = fd.RELEVANCE.key, fd.NEEDS_ORIGIN
# (parameter, allowed values, message): the declared enums, then the ledger's conditions (open in the index)
_CHOICES = (*((f.key, frozenset(f.values), _one_of(f.key, list(f.values))) for f in fd.FILTERS if f.kind == fd.ENUM),
            (fd.CONDITION.key, frozenset(CONDITIONS), f"{fd.CONDITION.key} 须为{'、'.join(CONDITIONS)}之一。"))
_DATE_FROM, _DATE_TO = (p for f in fd.FILTERS if f.kind == fd.DATES for p in f.params)  # one date window


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
    sort = params.get("sort") or _RELEVANCE
    if sort not in SORT_LABELS:
        raise InvalidInput(_SORT_MESSAGE, "sort")
    if sort in _NEEDS_ORIGIN and not origin:
        sort = _RELEVANCE
    values = {f: (params.get(f) or "").strip()[:100] or None for f in FILTERS}
    for name, allowed, message in _CHOICES:
        if (v := values[name]) and v not in allowed:
            raise InvalidInput(message, name)
    values[_DATE_FROM] = _date(params.get(_DATE_FROM), _DATE_FROM)
    values[_DATE_TO] = _date(params.get(_DATE_TO), _DATE_TO)
    q = SearchQuery(q=(params.get("q") or "")[:100], sort=sort, origin=origin, page=int(page_raw),
                    per_page=per_page, facets=FACETS, **values)
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

