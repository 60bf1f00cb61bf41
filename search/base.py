"""The search interface shared by every backend, and the query/result types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .fields import FACET_FIELDS, NEEDS_ORIGIN, RELEVANCE, SORT_LABELS


class SearchError(ValueError):
    """A query a user can cause that the engine refuses; ``message`` is shown to the user."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class SearchQuery:
    """A search; its filter attributes are the parameters of ``fields.FILTERS``, in their order."""

    q: str = ""
    category: str | None = None        # a category code; also matches its descendants (code prefix)
    district: str | None = None
    holder: str | None = None
    condition: str | None = None
    tier: str | None = None
    mode: str | None = None
    available_from: str | None = None  # ISO date; the listing's window must overlap [from, to]
    available_to: str | None = None
    sort: str = RELEVANCE.key  # a key of ``fields.SORTS``
    origin: tuple[float, float] | None = None  # (lat, lng): distance sort and ``distance_km``
    page: int = 1
    per_page: int = 20
    # counted disjunctively: each facet as if its own selection were not applied, so a user can widen it
    facets: tuple[str, ...] = ()

    def validate(self) -> None:
        if self.sort not in SORT_LABELS:
            raise SearchError("不支持的排序方式", "sort")
        if self.sort in NEEDS_ORIGIN and self.origin is None:
            raise SearchError("按距离排序需要提供位置", "origin")
        if self.page < 1:
            raise SearchError("页码必须从 1 开始", "page")
        if not 1 <= self.per_page <= 100:
            raise SearchError("每页条数应在 1 到 100 之间", "per_page")
        for f in self.facets:
            if f not in FACET_FIELDS:
                raise SearchError(f"不支持的分面：{f}", "facets")
        if self.available_from and self.available_to and self.available_from > self.available_to:
            raise SearchError("开始日期不能晚于结束日期", "available_from")


@dataclass
class SearchResult:
    total: int
    hits: list[dict[str, Any]] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # no result holds every query word: these hold some of them, the most words first
    relaxed: bool = False
    nearest: list[str] = field(default_factory=list)  # nothing matched: the nearest known terms


@runtime_checkable
class SearchBackend(Protocol):
    def index(self, docs: list[dict[str, Any]]) -> None:
        """Insert or replace documents (by ``id``)."""

    def delete(self, ids: list[str]) -> None: ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def search_now(self, query: SearchQuery) -> SearchResult | None:
        """``search``, or None when answering would make the caller wait (a write holds the index, or the
        backend answers over the network): for an event loop answering from memory, which then asks again
        from a thread."""

    def suggest_now(self, prefix: str, limit: int = 8) -> list[str] | None:
        """``suggest``, or None when answering would make the caller wait (as ``search_now``)."""

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Completions for as-you-type: titles, category names and brands, also from pinyin prefixes."""

    def set_synonyms(self, groups: list[list[str]]) -> None:
        """Replace the synonym groups: ``["电脑", "计算机"]`` is mutual; ``["椅子", "=>", "椅", "座椅"]`` is
        one-way (the words left of ``"=>"`` also find those on the right, not the reverse)."""

    def clear(self) -> None: ...

    def health(self) -> dict[str, Any]: ...

    def count(self) -> int: ...
