"""The search vocabulary, declared once: every field the pool's search filters, counts or sorts on.

Everything else is built from ``FIELDS`` and ``SORTS`` when it is imported, never per request: the
backends' columns, settings and filters (``search.embedded``, ``search.meili``), the facet counter, the
query parser and its label dicts (``market.pool.browse``), the browse page's kept parameters, filter controls
and facet blocks (``web.pages.pool``, ``pool.html``) and the API's query parameters and their OpenAPI
schema (``web.api.pool``). Adding a filter means adding a ``Field`` here and its attribute to
``SearchQuery`` (a test checks that the two agree); a new *kind* of field also needs each backend to learn
how to filter on it.

Kinds:

- ``CODE``: a hierarchical category code. A filter matches the code and every code below it (a prefix);
  the page shows a value by the category's name.
- ``KEYWORD``: a value compared whole (a district, a holder). ``multi``: a document holds a list.
- ``ENUM``: a keyword from a fixed list, each value with a Chinese label.
- ``DATES``: a window of ISO dates given as two parameters, ``<key>_from`` and ``<key>_to``; a document's
  ``[from, until]`` (open ends allowed) must overlap it.
- ``NUMBER``: a number sorted on (a timestamp).
- ``GEO``: a place (latitude, longitude) sorted on by distance from the searcher's origin.

This module imports nothing: ``search`` is below ``market`` and ``web``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

CODE, KEYWORD, ENUM, DATES, NUMBER, GEO = "code", "keyword", "enum", "dates", "number", "geo"

_NO_LABELS: MappingProxyType[str, str] = MappingProxyType({})
STRING: dict[str, Any] = {"type": "string"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}


@dataclass(frozen=True, eq=False)
class Field:
    key: str  # the query parameter (a date window's stem), the SearchQuery attribute, the facet name
    label: str  # Chinese: the filter panel's heading
    kind: str
    # the document fields it reads (``market.pool.documents`` writes them): one; for a date window the first and
    # last day; for a place latitude and longitude. The embedded index keeps a keyword field in a column
    # named after its document field.
    doc: tuple[str, ...]
    multi: bool = False  # a document holds a list of values; a facet counts each
    values: MappingProxyType[str, str] = field(default_factory=lambda: _NO_LABELS)  # ENUM: value → label
    facet: bool = False  # counted when a search asks for it
    filter: bool = False  # a query parameter narrows the results by it
    # Meilisearch: the attributes it filters on (a date window: first and last day as integers) or sorts
    # on, and the attribute a facet counts when that differs from the filter's (a code: filtered on prefixes)
    meili: tuple[str, ...] = ()
    meili_facet: str = ""
    # per query parameter: its description in the API (and the date inputs' aria-label); default the label
    help: tuple[str, ...] = ()
    panel: int = 0  # place in the browse page's filter panel, facets in ascending order

    @property
    def params(self) -> tuple[str, ...]:
        """The query parameters of this field."""
        return (f"{self.key}_from", f"{self.key}_to") if self.kind == DATES else (self.key,)

    @property
    def descriptions(self) -> tuple[str, ...]:
        """A description of each query parameter (the API's, the date inputs' aria-label)."""
        return self.help or (self.label,) * len(self.params)

    @property
    def schema(self) -> dict[str, Any]:
        """The OpenAPI (JSON Schema) of each of its query parameters."""
        if self.kind == ENUM:
            return {"enum": list(self.values)}
        return DATE if self.kind == DATES else STRING

    @property
    def facet_attribute(self) -> str:
        return self.meili_facet or self.meili[0]


@dataclass(frozen=True, eq=False)
class Sort:
    key: str
    label: str  # Chinese: the page's sort menu
    by: Field | None = None  # None: relevance (the text score, then newest; with no words, newest first)
    descending: bool = False


def _labels(**values: str) -> MappingProxyType[str, str]:
    return MappingProxyType(values)


CATEGORY = Field("category", "资产分类", CODE, ("category_code",), facet=True, filter=True,
                 meili=("category_prefixes",), meili_facet="category_code", help=("分类代码（含下级）",), panel=3)
DISTRICT = Field("district", "区县", KEYWORD, ("district",), facet=True, filter=True, meili=("district",),
                 panel=4)
HOLDER = Field("holder", "持有单位", KEYWORD, ("holder",), facet=True, filter=True, meili=("holder",),
               help=("持有单位或供应商",), panel=6)
CONDITION = Field("condition", "成色", KEYWORD, ("conditions",), multi=True, facet=True, filter=True,
                  meili=("conditions",), panel=5)  # values: the ledger's (market.models.CONDITIONS)
TIER = Field("tier", "来源", ENUM, ("tier",),
             values=_labels(warehouse="公物仓库存", idle="单位闲置", rental="市场租赁"),
             facet=True, filter=True, meili=("tier",), panel=1)
MODE = Field("mode", "方式", ENUM, ("modes",), multi=True, values=_labels(loan="出借", transfer="调剂"),
             facet=True, filter=True, meili=("modes",), panel=2)
AVAILABLE = Field("available", "需要日期", DATES, ("available_from", "available_until"), filter=True,
                  meili=("from_day", "until_day"), help=("需要开始日期", "需要结束日期"))
CREATED = Field("created", "发布时间", NUMBER, ("created_at",), meili=("created_ts",))
PLACE = Field("place", "位置", GEO, ("lat", "lng"), meili=("_geo",))

FIELDS: tuple[Field, ...] = (CATEGORY, DISTRICT, HOLDER, CONDITION, TIER, MODE, AVAILABLE, CREATED, PLACE)

RELEVANCE = Sort("relevance", "相关度")
DISTANCE = Sort("distance", "距离最近", PLACE)
NEWEST = Sort("newest", "最新发布", CREATED, descending=True)
SORTS: tuple[Sort, ...] = (RELEVANCE, DISTANCE, NEWEST)

# ------------------------------------------------------------------ derived once, read by everyone
VALUE_KINDS = frozenset({CODE, KEYWORD, ENUM})  # string values: filtered on equal (a code: on a prefix)
FILTERS: tuple[Field, ...] = tuple(f for f in FIELDS if f.filter)
FACETS: tuple[Field, ...] = tuple(f for f in FIELDS if f.facet)
PANEL: tuple[Field, ...] = tuple(sorted(FACETS, key=lambda f: f.panel))  # the browse page's facet blocks
FACET_FIELDS: dict[str, str] = {f.key: f.doc[0] for f in FACETS}  # facet name → the document field it counts
FILTER_PARAMS: tuple[str, ...] = tuple(p for f in FILTERS for p in f.params)  # SearchQuery's filters
SORT_LABELS: dict[str, str] = {s.key: s.label for s in SORTS}
NEEDS_ORIGIN: frozenset[str] = frozenset(s.key for s in SORTS if s.by is not None and s.by.kind == GEO)
DOCUMENT_FIELDS: tuple[str, ...] = tuple(d for f in FIELDS for d in f.doc)  # every document carries them

# The API's query parameters, in order: (name, JSON Schema, Chinese description).
QUERY_PARAMS: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("q", STRING, "关键词：中文、拼音或首字母、型号"),
    *((p, f.schema, d) for f in FILTERS for p, d in zip(f.params, f.descriptions, strict=True)),
    ("sort", {"enum": list(SORT_LABELS)}, "排序"),
    ("page", {"type": "integer", "minimum": 1}, "页码"),
)
PARAM_NAMES: frozenset[str] = frozenset(name for name, _, _ in QUERY_PARAMS)
