"""One way to list: every list page and list endpoint reads its rows through a ``ListSpec`` — the scoped query
(``market.access.scoped``), a search box, filters, sort, paging and the export of exactly what is filtered.

A concept declares its list once, beside its services (``market.orders.ORDER_LIST`` …); ``web`` turns a
request's parameters into ``parse_query``, the page into HTML, the API into JSON and ``export`` into a CSV or
Excel file. Page and API take the same parameters and refuse the same bad ones with the same message:

    q          the search box (words matched in the spec's text columns, all of them)
    <filter>   one parameter per declared filter (a value of its vocabulary, or an id)
    sort       one of the declared sorts
    page       1, 2, …       per_page  1 to MAX_PER_PAGE
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import false, func, or_
from sqlmodel import Session, select

from market.access import require_user, scoped
from market.errors import InvalidInput
from market.models import User

PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_EXPORT = 100_000  # rows in one export; past this the user is asked to narrow the filters (never cut silently)
MAX_QUERY = 100  # characters of the search box


@dataclass(frozen=True)
class Column:
    """A column of the list as a person reads it (and as the export writes it)."""

    key: str
    label: str
    value: Callable[[Any, Mapping[str, Any]], Any]  # (row, lookups) → the cell


@dataclass(frozen=True)
class Filter:
    """A query parameter that narrows the list: a vocabulary (value → Chinese label) or an id."""

    key: str
    label: str
    where: Callable[[Any], Any]  # the parsed value → an SQL condition
    choices: Mapping[str, str] | None = None  # None: a positive integer id
    options: Callable[[Session, User], Mapping[str, str]] | None = None  # ids offered in the page's select


@dataclass(frozen=True)
class ListSpec:
    key: str  # the list's name: the JSON key of its rows, the export's file name
    title: str  # Chinese, for the page and the export's sheet
    model: type
    columns: tuple[Column, ...]
    sorts: Mapping[str, tuple[str, tuple[Any, ...]]]  # key → (Chinese label, ORDER BY terms); the first is default
    filters: tuple[Filter, ...] = ()
    search: tuple[Callable[[str], Any], ...] = ()  # a word of the search box → a condition (``like``); any may hold
    where: Callable[[User], Any] | None = None  # a condition every row of this list meets (e.g. one kind)
    lookups: Callable[[Session, list[Any]], dict[str, Any]] | None = None  # names the columns need, per page

    @property
    def default_sort(self) -> str:
        return next(iter(self.sorts))

    def filter(self, key: str) -> Filter:
        return next(f for f in self.filters if f.key == key)


@dataclass(frozen=True)
class ListQuery:
    q: str = ""
    filters: Mapping[str, Any] = field(default_factory=dict)
    sort: str = ""
    page: int = 1
    per_page: int = PER_PAGE

    def params(self, spec: ListSpec, **change: Any) -> dict[str, str]:
        """The query parameters that ask for this list again (with ``change``), defaults left out."""
        out: dict[str, Any] = {"q": self.q, **{k: v for k, v in self.filters.items()}, "sort": self.sort,
                               "page": self.page, "per_page": self.per_page} | change
        defaults = {"q": "", "sort": spec.default_sort, "page": 1, "per_page": PER_PAGE}
        return {k: str(v) for k, v in out.items() if v not in (None, "") and defaults.get(k) != v}


@dataclass
class ListPage:
    spec: ListSpec
    query: ListQuery
    rows: list[Any]
    total: int
    lookups: dict[str, Any]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))

    def cells(self, row: Any) -> list[Any]:
        return [c.value(row, self.lookups) for c in self.spec.columns]

    def cell(self, row: Any, key: str) -> Any:
        """One column's value for ``row``: what the export writes, for a page that lays the row out itself."""
        return next(c for c in self.spec.columns if c.key == key).value(row, self.lookups)


def by_id(id_column: Any) -> dict[str, tuple[str, tuple[Any, ...]]]:
    """The two sorts every list of documents has, newest first (the default) and oldest first."""
    return {"newest": ("最新在前", (id_column.desc(),)), "oldest": ("最早在前", (id_column,))}


def latest(column: Any, id_column: Any) -> tuple[Any, ...]:
    """ORDER BY a moment that may be missing, latest first, the rows without one last (alike on both databases)."""
    return (column.is_(None), column.desc(), id_column.desc())


def _positive(raw: str, name: str, label: str, maximum: int = 2**31 - 1) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= maximum:
        raise InvalidInput(f"{label}须为 1 至 {maximum} 的整数。", name)
    return int(raw)


def parse_query(spec: ListSpec, params: Mapping[str, str]) -> ListQuery:
    """The list's parameters from a query string (page and API alike), or a clear error naming the bad one."""
    q = str(params.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"搜索词不能超过 {MAX_QUERY} 个字。", "q")
    filters: dict[str, Any] = {}
    for f in spec.filters:
        raw = str(params.get(f.key) or "").strip()
        if not raw:
            continue
        if f.choices is not None:
            if raw not in f.choices:
                raise InvalidInput(f"{f.label}须为：{'、'.join(f'{k}（{v}）' for k, v in f.choices.items())}。", f.key)
            filters[f.key] = raw
        else:
            filters[f.key] = _positive(raw, f.key, f.label)
    sort = str(params.get("sort") or "").strip() or spec.default_sort
    if sort not in spec.sorts:
        raise InvalidInput(f"排序须为：{'、'.join(f'{k}（{v[0]}）' for k, v in spec.sorts.items())}。", "sort")
    page = _positive(str(params.get("page") or "1").strip(), "page", "页码", 1_000_000)
    per_page = _positive(str(params.get("per_page") or PER_PAGE).strip(), "per_page", "每页条数", MAX_PER_PAGE)
    return ListQuery(q, filters, sort, page, per_page)


def _statement(actor: User, spec: ListSpec, query: ListQuery) -> Any:
    stmt = scoped(actor, spec.model)
    if spec.where is not None:
        stmt = stmt.where(spec.where(actor))
    for key, value in query.filters.items():
        stmt = stmt.where(spec.filter(key).where(value))
    for word in query.q.split():
        stmt = stmt.where(or_(*(match(word) for match in spec.search)))
    return stmt


def like(column: Any) -> Callable[[str], Any]:
    """Search in a text column: the word anywhere in it, case ignored, ``%`` and ``_`` taken literally."""
    def match(word: str) -> Any:
        pattern = "%" + word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return func.lower(column).like(pattern, escape="\\")
    return match


def named(id_column: Any, model: type) -> Callable[[str], Any]:
    """Search by the name of a related row (a unit, a category): ``id_column`` among the rows whose name has the
    word."""
    name_like = like(model.name)
    return lambda word: id_column.in_(select(model.id).where(name_like(word)))


def numbered(id_column: Any) -> Callable[[str], Any]:
    """Search by a document number as printed (``JC2026000123``: the id is its last six digits) or by the id."""
    def match(word: str) -> Any:
        m = re.fullmatch(r"(?:[A-Za-z]{2}\d{4})?0*(\d{1,9})", word)
        return id_column == int(m.group(1)) if m else false()
    return match


def _count(db: Session, stmt: Any) -> int:
    """The rows ``stmt`` selects, counted over the list's own query (a list nobody is narrowed in has no WHERE to
    name its table)."""
    return db.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()


def read_list(db: Session, actor: User | None, spec: ListSpec, query: ListQuery) -> ListPage:
    """One page of the list as ``actor`` may see it, with the total of every page."""
    actor = require_user(actor)
    stmt = _statement(actor, spec, query)
    total = _count(db, stmt)
    rows = list(db.exec(stmt.order_by(*spec.sorts[query.sort or spec.default_sort][1])
                        .offset((query.page - 1) * query.per_page).limit(query.per_page)))
    return ListPage(spec, query, rows, total, spec.lookups(db, rows) if spec.lookups else {})


def export(db: Session, actor: User | None, spec: ListSpec, query: ListQuery) -> tuple[list[str], list[list[Any]]]:
    """Every row the filters keep (all pages), as (column labels, rows of cells)."""
    actor = require_user(actor)
    stmt = _statement(actor, spec, query)
    total = _count(db, stmt)
    if total > MAX_EXPORT:
        raise InvalidInput(f"符合条件的有 {total} 条，一次最多导出 {MAX_EXPORT} 条，请缩小筛选范围。", "export")
    rows = list(db.exec(stmt.order_by(*spec.sorts[query.sort or spec.default_sort][1])))
    lookups = spec.lookups(db, rows) if spec.lookups else {}
    return [c.label for c in spec.columns], [[c.value(r, lookups) for c in spec.columns] for r in rows]


def options(db: Session, actor: User, spec: ListSpec) -> dict[str, Mapping[str, str]]:
    """Each filter's choices for the page's selects (a vocabulary, or the ids the spec offers)."""
    out: dict[str, Mapping[str, str]] = {}
    for f in spec.filters:
        out[f.key] = f.choices if f.choices is not None else (f.options(db, actor) if f.options else {})
    return out


def label_of(choices: Mapping[str, str]) -> Callable[[str], str]:
    return lambda value: choices.get(value, value)


def names(db: Session, model: type, ids: Sequence[int | None]) -> dict[int, str]:
    """id → name of the rows of ``model`` among ``ids`` (units, categories … for a page of rows)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.exec(select(model.id, model.name).where(model.id.in_(wanted))).all())


SHANGHAI = timezone(timedelta(hours=8))


def local_time(value: datetime | None) -> str:
    """A moment as a list's cell shows it (and its export writes it): Beijing time, to the minute."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""
