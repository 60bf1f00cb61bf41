"""The Meilisearch backend, through the official client.

Meilisearch segments Chinese itself (charabia/jieba); we add our own pinyin field (pinyin is not in its
default build), a model code without punctuation, integer dates for range filters and ``_geo``.
Filters are built from user input by ``build_filter``: attribute names come from a fixed list and
every value is quoted with backslash and double quote escaped.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import replace
from datetime import date
from functools import lru_cache
from typing import Any

from matcher.geo import haversine_km

from . import fields as fd
from . import text as tx
from .base import SearchError, SearchQuery, SearchResult

DAY_OPEN_LOW, DAY_OPEN_HIGH = 0, 99_999_999
# From the declaration (search/fields.py): query attribute → the index attribute it filters on; nothing else
# may appear in a filter. A date window filters on two integer attributes (first and last day).
FILTER_ATTRIBUTES = {f.key: f.meili[0] for f in fd.FILTERS if f.kind in fd.VALUE_KINDS}
# (from, to, from_day, until_day) of each date window
WINDOWS = tuple((*f.params, *f.meili) for f in fd.FILTERS if f.kind == fd.DATES)
FACET_ATTRIBUTES = {f.key: f.facet_attribute for f in fd.FACETS}  # facet name → the attribute it counts
NAMES = ("category_name", "brand")  # counted (as facets) for the nearest terms when nothing matches
FILTERABLE = list(dict.fromkeys([*(a for f in fd.FILTERS for a in f.meili),
                                 *(a for f in fd.FIELDS if f.kind == fd.GEO for a in f.meili),  # _geoRadius
                                 *FACET_ATTRIBUTES.values(), *NAMES]))
# A listing's own words are searched first; its category's ancestors' (空调及电器, 家具用具) only when they find
# nothing (空调 finds the air conditioners, not the water dispensers filed under 空调及电器), then its holder's (a
# rental offer's vendor's) name (the embedded backend asks the ancestors, then the holder, per word that finds
# nothing: search/embedded.py PATH, HOLDER). In the order of their weight (the ``attribute`` ranking rule), as the
# embedded backend's FIELD_WEIGHTS: title, category, brand and model first; pinyin below text; the aliases of the
# listing's words last among its own (an alias ranks below the word itself).
OWN = ["title", "category_name", "brand", "model", "model_compact", "description", "terms", "pinyin", "aliases"]
WITH_PATH = [*OWN, "category_path", "path_terms"]
WITH_HOLDER = [*WITH_PATH, "holder"]
# Meilisearch's default rules with ``attribute`` before ``proximity``: the field a word is found in decides first
RANKING_RULES = ["words", "typo", "attribute", "proximity", "sort", "exactness"]
NEAREST = 5
SORTABLE = [s.by.meili[0] for s in fd.SORTS if s.by is not None]
_CODES = tuple((f.doc[0], f.meili[0]) for f in fd.FIELDS if f.kind == fd.CODE)  # code → its prefixes
# (date field, its integer attribute, the day an open end stands for)
_DAYS = tuple(day for f in fd.FIELDS if f.kind == fd.DATES
              for day in zip(f.doc, f.meili, (DAY_OPEN_LOW, DAY_OPEN_HIGH), strict=True))
(_CREATED_TS,) = fd.CREATED.meili
(_GEO,) = fd.PLACE.meili
INTERNAL = (*(a for f in fd.FIELDS for a in f.meili if a not in f.doc), "pinyin", "terms", "model_compact", "aliases",
            "path_terms",
            "_geoDistance", "_formatted", "_rankingScore")
MAX_VALUE_BYTES = 468
PRE, POST = "\ue000", "\ue001"  # sentinels replaced by <mark> after HTML-escaping the title


def quote(value: Any) -> str:
    """A filter value as a Meilisearch string literal: backslash and double quote escaped, control
    characters refused (they could end the expression in some parsers and are never legitimate)."""
    s = str(value)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in s):
        raise SearchError("筛选条件中含有不允许的控制字符")
    if len(s.encode("utf-8")) > MAX_VALUE_BYTES:
        raise SearchError("筛选条件过长")
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _day(iso: str, field: str) -> int:
    try:
        return date.fromisoformat(iso).toordinal()
    except (TypeError, ValueError):
        raise SearchError("日期格式应为 YYYY-MM-DD", field) from None


def build_filter(query: SearchQuery) -> list[str]:
    """Filter expressions (ANDed by Meilisearch) for a query; values always quoted."""
    out: list[str] = []
    for field, attr in FILTER_ATTRIBUTES.items():
        v = getattr(query, field)
        if v is None or v == "":
            continue
        out.append(f"{attr} = {quote(v)}")
    for want_from, want_to, from_day, until_day in WINDOWS:
        if v := getattr(query, want_from):
            # the listing must still be available on the user's first day: until_day >= from
            out.append(f"{until_day} >= {_day(v, want_from)}")
        if v := getattr(query, want_to):
            out.append(f"{from_day} <= {_day(v, want_to)}")
    return out


def alias_field(tokens: set[str], reverse: dict[str, set[str]]) -> list[str]:
    """The words whose aliases a document holds, as Meilisearch can match them where its synonyms cannot: Latin
    ones as words (lenovo on a 联想 listing: its typos and prefixes, lenvo and lenov, then find it) and Chinese ones
    by their pinyin (复印机 on a 多功能一体机: fuyinji, fyj). ``reverse``: ``text.reverse_aliases`` of the synonyms."""
    out: set[str] = set()
    for t in tokens:
        for w in reverse.get(t, ()):
            if w.isascii():
                out.add(w)
            else:
                keys = tx.pinyin_keys(w)
                if keys:
                    out.add(keys[0])
                    if len(keys[1]) >= 3:  # two initials are too ambiguous (text.alias_pinyin)
                        out.add(keys[1])
    return sorted(out)


def to_meili_doc(doc: dict[str, Any], reverse: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """The document as Meilisearch keeps it; ``reverse``: the aliases (``text.reverse_aliases``), default the
    shipped ones."""
    d = dict(doc)
    for field, attr in _CODES:
        code = d.get(field) or ""
        d[attr] = [code[:i] for i in range(1, len(code) + 1)]
    toks: set[str] = set()
    for f in ("title", "category_name", "brand"):
        toks.update(tx.index_tokens(d.get(f) or ""))
    # the category's whole name too: 签到台 is cut into 签到 + 台, yet people type qiandaotai
    d["pinyin"] = sorted(tx.pinyin_tokens(toks) | tx.name_pinyin([d.get("category_name") or ""]))
    # the ancestors' words, whole names and pinyin, searched only when the listing's own words find nothing
    name = d.get("category_name") or ""
    above = [tx.normalize(p).strip() for p in d.get("category_path") or [] if p and p != name]
    path_toks = {t for p in above for t in tx.index_tokens(p) if len(t) > 1 or not tx.CJK.match(t)} | set(above)
    d["path_terms"] = " ".join(sorted(path_toks | tx.pinyin_tokens(path_toks) | tx.name_pinyin(above)))
    whole = {tx.normalize(v).strip() for v in (d.get("category_name"), d.get("brand")) if v}
    # its own words' aliases, not its ancestors' (空调 of 空调及电器)
    d["aliases"] = alias_field(toks | whole, _SHIPPED_REVERSE() if reverse is None else reverse)
    # our own segmentation (sub-words, every character, codes without punctuation): Meilisearch matches
    # words by prefix only, never inside a word, so 椅 would not find 会议椅 without this field
    d["terms"] = " ".join(sorted(toks | set(tx.index_tokens(d.get("model") or ""))))
    d["model_compact"] = tx.compact(d.get("model") or "")
    for field, attr, open_end in _DAYS:
        d[attr] = date.fromisoformat(d[field][:10]).toordinal() if d.get(field) else open_end
    created = d.get(fd.CREATED.doc[0])
    if created:
        from datetime import datetime

        d[_CREATED_TS] = int(datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp())
    else:
        d[_CREATED_TS] = 0
    lat, lng = (d.get(field) for field in fd.PLACE.doc)
    if lat is not None and lng is not None:
        d[_GEO] = {"lat": lat, "lng": lng}
    return d


@lru_cache(maxsize=1)
def _SHIPPED_REVERSE() -> dict[str, set[str]]:  # noqa: N802 - a constant, computed once
    return tx.reverse_aliases(tx.synonym_map(tx.default_synonyms()))


def settings(synonyms: list[list[str]]) -> dict[str, Any]:
    syn = {w: sorted(s)[:50] for w, s in tx.synonym_map(synonyms).items()}
    return {
        "searchableAttributes": WITH_HOLDER,
        "rankingRules": RANKING_RULES,
        "filterableAttributes": FILTERABLE,
        "sortableAttributes": SORTABLE,
        "synonyms": syn,
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
        "localizedAttributes": [{"attributePatterns": ["*"], "locales": ["cmn"]}],
        "faceting": {"maxValuesPerFacet": 1000},
        "pagination": {"maxTotalHits": 100_000},
    }


class MeiliBackend:
    kind = "meilisearch"

    def __init__(self, url: str, api_key: str | None = None, index_name: str = "pool", timeout_ms: int = 30_000):
        import meilisearch

        self.client = meilisearch.Client(url, api_key)
        self.uid = index_name
        self.timeout_ms = timeout_ms
        self._synonyms = tx.default_synonyms()
        self._reverse = tx.reverse_aliases(tx.synonym_map(self._synonyms))
        self._wait(self.client.create_index(index_name, {"primaryKey": "id"}), allow_fail=True)
        self.idx = self.client.index(index_name)
        self._wait(self.idx.update_settings(settings(self._synonyms)))

    def _wait(self, task, allow_fail: bool = False) -> None:
        uid = getattr(task, "task_uid", None)
        if uid is None and isinstance(task, dict):
            uid = task.get("taskUid")
        done = self.client.wait_for_task(uid, timeout_in_ms=self.timeout_ms)
        status = getattr(done, "status", None)
        if status == "failed" and not allow_fail:
            raise RuntimeError(f"meilisearch task failed: {getattr(done, 'error', None)}")

    def index(self, docs: list[dict[str, Any]]) -> None:
        docs = [to_meili_doc(d, self._reverse) for d in docs]
        for i in range(0, len(docs), 10_000):
            self._wait(self.idx.add_documents(docs[i:i + 10_000], primary_key="id"))

    def delete(self, ids: list[str]) -> None:
        if ids:
            self._wait(self.idx.delete_documents(list(ids)))

    def clear(self) -> None:
        self._wait(self.idx.delete_all_documents())

    def set_synonyms(self, groups: list[list[str]]) -> None:
        self._synonyms = [list(g) for g in groups]
        # documents indexed from now on carry the new aliases' field (a reindex sets the synonyms first)
        self._reverse = tx.reverse_aliases(tx.synonym_map(self._synonyms))
        self._wait(self.idx.update_synonyms(settings(self._synonyms)["synonyms"]))

    def count(self) -> int:
        return int(self.idx.get_stats().number_of_documents)

    def health(self) -> dict[str, Any]:
        try:
            h = self.client.health()
            return {"status": "ok" if h.get("status") == "available" else "error", "backend": self.kind,
                    "documents": self.count()}
        except Exception as e:  # noqa: BLE001 - health reports, never raises
            return {"status": "error", "backend": self.kind, "error": str(e)}

    def search(self, query: SearchQuery) -> SearchResult:
        query.validate()
        params: dict[str, Any] = {
            "filter": build_filter(query),
            "page": query.page,
            "hitsPerPage": query.per_page,
            "attributesToHighlight": ["title"],
            "highlightPreTag": PRE,
            "highlightPostTag": POST,
        }
        if query.facets:
            params["facets"] = [FACET_ATTRIBUTES[f] for f in query.facets]
        if query.sort == fd.DISTANCE.key:
            lat, lng = query.origin
            params["sort"] = [f"_geoPoint({float(lat)},{float(lng)}):asc"]
        elif query.sort == fd.NEWEST.key or not query.q.strip():
            params["sort"] = [f"{_CREATED_TS}:desc"]
        words = tx.segment_query(query.q)
        # every word in the listing's own fields; then in its category's ancestors too; then in its holder's name
        # too; then some of the words (relaxed),
        # the most frequent dropped first as the embedded backend ranks the rarer words' matches first: 锦川 帐篷
        # (锦川 in most holders' names) answers the tents, not every item of every holder named 锦川
        attempts = [(OWN, "all", False)]
        if words:
            attempts.append((WITH_PATH, "all", False))
            attempts.append((WITH_HOLDER, "all", False))
            if len(words) > 1:
                attempts.append((WITH_HOLDER, "frequency", True))
        relaxed = False
        for attributes, strategy, partial in attempts:
            res, facet_res = self._search(query, {**params, "attributesToSearchOn": attributes,
                                                  "matchingStrategy": strategy})
            if res.get("totalHits"):
                relaxed = partial
                break
        hits = []
        for h in res["hits"]:
            formatted = (h.get("_formatted") or {}).get("title") or h.get("title") or ""
            doc = {k: v for k, v in h.items() if k not in INTERNAL}
            doc["title_highlighted"] = html.escape(formatted).replace(PRE, "<mark>").replace(POST, "</mark>")
            if query.origin is not None:
                if "_geoDistance" in h:
                    doc["distance_km"] = round(h["_geoDistance"] / 1000, 3)
                elif doc.get("lat") is None:
                    doc["distance_km"] = None
                else:
                    doc["distance_km"] = round(haversine_km(*query.origin, doc["lat"], doc["lng"]), 3)
            hits.append(doc)
        facets = {}
        dist = res.get("facetDistribution") or {}
        for f in query.facets:
            got = facet_res.get(f, dist)  # a selected facet: counted without its own selection
            vals = {k: int(v) for k, v in (got.get(FACET_ATTRIBUTES[f]) or {}).items() if k != ""}
            facets[f] = dict(sorted(vals.items(), key=lambda kv: (-kv[1], kv[0])))
        total = int(res.get("totalHits", len(hits)))
        nearest = self._nearest(query.q) if words and not total and not self._anywhere(query, params) else []
        return SearchResult(total=total, hits=hits, facets=facets, relaxed=relaxed, nearest=nearest)

    def _search(self, query: SearchQuery, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict]]:
        """The search, and for each selected facet its counts without its own selection: one multi-search, a
        query per selected facet (as Meilisearch's and Algolia's disjunctive facets)."""
        selected = [f for f in query.facets if getattr(query, f, None)]
        if not selected:
            return self.idx.search(query.q or "", params), {}
        queries = [{"indexUid": self.uid, "q": query.q or "", **params}]
        for f in selected:
            queries.append({"indexUid": self.uid, "q": query.q or "", "limit": 0, "facets": [FACET_ATTRIBUTES[f]],
                            "filter": build_filter(replace(query, **{f: None})),
                            "attributesToSearchOn": params["attributesToSearchOn"],
                            "matchingStrategy": params["matchingStrategy"]})
        results = self.client.multi_search(queries)["results"]
        return results[0], {f: r.get("facetDistribution") or {} for f, r in zip(selected, results[1:], strict=True)}

    def _anywhere(self, query: SearchQuery, params: dict[str, Any]) -> bool:
        """Whether some of the words match outside the filters (then the filters, not the words, found nothing)."""
        if not params["filter"]:
            return False
        res = self.idx.search(query.q, {"limit": 1, "attributesToRetrieve": ["id"], "attributesToSearchOn": WITH_HOLDER,
                                        "matchingStrategy": "last"})
        return bool(res["hits"])

    def _nearest(self, q: str) -> list[str]:
        """Category names and brands nearest to a query that matches nothing."""
        res = self.idx.search("", {"limit": 0, "facets": list(NAMES)})
        names = [v for a in NAMES for v in (res.get("facetDistribution") or {}).get(a, {}) if v]
        return tx.nearest_terms(q, names, NEAREST)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        if not prefix.strip():
            return []
        res = self.idx.search(prefix, {"limit": 50, "attributesToRetrieve": ["title", "category_name", "brand", "model"]})
        p = tx.normalize(prefix).strip()
        out: dict[str, None] = {}
        for h in res["hits"]:
            for f in ("category_name", "brand", "model", "title"):
                v = h.get(f)
                if v and (tx.normalize(v).startswith(p) or f == "title"):
                    out.setdefault(v)
        return list(out)[:limit]

    def search_now(self, query: SearchQuery) -> SearchResult | None:
        """Always None: Meilisearch answers over the network, and an event loop must not wait for it."""
        return None

    def suggest_now(self, prefix: str, limit: int = 8) -> list[str] | None:
        """Always None, as ``search_now``."""
        return None
