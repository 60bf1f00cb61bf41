"""The search vocabulary is declared once (search/fields.py) and everything that names a filter, a facet or a
sort reads it: the query type, both backends, the query parser, the API and its OpenAPI schema, the page."""

from __future__ import annotations

import dataclasses
import html
import inspect

from conftest import login
from test_web import _listing, _token

import search
from market.pool import browse
from search import SearchBackend, SearchQuery, fields
from search.embedded import MULTI_FIELDS, SINGLE_FIELDS, EmbeddedBackend
from search.meili import MeiliBackend, build_filter, settings
from search.text import default_synonyms


def test_search_query_has_an_attribute_for_each_declared_filter_parameter():
    names = [f.name for f in dataclasses.fields(SearchQuery)]
    assert names[1:1 + len(fields.FILTER_PARAMS)] == list(fields.FILTER_PARAMS)
    assert set(names) - set(fields.FILTER_PARAMS) == {"q", "sort", "origin", "page", "per_page", "facets"}


def test_meilisearch_settings_and_filters_come_from_the_declaration():
    s = settings(default_synonyms())
    for f in fields.FILTERS:
        assert set(f.meili) <= set(s["filterableAttributes"]), f.key
    for f in fields.FACETS:
        assert f.facet_attribute in s["filterableAttributes"], f.key
    assert s["sortableAttributes"] == [x.by.meili[0] for x in fields.SORTS if x.by is not None]
    for f in fields.FILTERS:  # each filter, given alone, filters on its own attributes
        value = "2027-01-01" if f.kind == fields.DATES else next(iter(f.values), "x")
        exprs = build_filter(SearchQuery(**{p: value for p in f.params}))
        assert [e.split(" ", 1)[0] for e in exprs] == (list(reversed(f.meili)) if f.kind == fields.DATES
                                                       else [f.meili[0]]), f.key


def test_the_embedded_index_keeps_a_column_for_each_facet():
    assert set(SINGLE_FIELDS) | set(MULTI_FIELDS) == set(fields.FACET_FIELDS.values())
    assert set(MULTI_FIELDS) == {f.doc[0] for f in fields.FACETS if f.multi}


def test_both_backends_have_every_method_of_the_interface():
    methods = {name for name, _ in inspect.getmembers(SearchBackend, inspect.isfunction)}
    assert {"search", "search_now", "suggest", "suggest_now"} <= methods
    for backend in (EmbeddedBackend, MeiliBackend):
        missing = {m for m in methods if not callable(getattr(backend, m, None))}
        assert not missing, (backend.__name__, missing)
    assert isinstance(search.open_backend("embedded"), SearchBackend)


def _the_listing(body: dict) -> dict:
    [doc] = [h for h in body["hits"] if h["title"] == "震旦会议椅（闲置）"]
    return doc


def _hit_values(doc: dict) -> dict[str, str]:
    """A value for each declared filter parameter that keeps ``doc`` among the results."""
    out = {}
    for f in fields.FILTERS:
        if f.kind == fields.DATES:
            out |= dict.fromkeys(f.params, "2027-01-01")  # the listing has no dates: always available
        else:
            value = doc[f.doc[0]]
            out[f.key] = value[0] if f.multi else value
    return out


def test_every_declared_filter_is_an_api_parameter_that_filters(http, world):
    _listing(world)
    auth = {"Authorization": f"Bearer {_token(http)}"}
    spec = http.get("/api/openapi.json").json()["paths"]["/api/search"]["get"]["parameters"]
    assert [p["name"] for p in spec] == [name for name, _, _ in fields.QUERY_PARAMS]
    documented = {p["name"]: p for p in spec}
    body = http.get("/api/search", headers=auth).json()
    assert list(body["facets"]) == list(fields.FACET_FIELDS)
    doc = _the_listing(body)
    values = _hit_values(doc)
    assert set(values) == set(fields.FILTER_PARAMS)
    for name, value in values.items():
        assert name in documented
        r = http.get("/api/search", headers=auth, params={name: value})
        assert r.status_code == 200 and _the_listing(r.json()) == doc, name
    for f in fields.FILTERS:
        if f.kind in fields.VALUE_KINDS:  # another value leaves the listing out, or is refused if not allowed
            held = doc[f.doc[0]] if f.multi else [doc[f.doc[0]]]
            other = next((v for v in f.values if v not in held), "无此值")
            r = http.get("/api/search", headers=auth, params={f.key: other})
            assert r.status_code == 422 or doc["id"] not in {h["id"] for h in r.json()["hits"]}, f.key
        if f.kind == fields.ENUM:
            assert documented[f.key]["schema"] == {"enum": list(f.values)}
    assert browse.query_from(values, None).facets == tuple(fields.FACET_FIELDS)


def test_the_page_has_a_control_for_each_filter_and_a_block_for_each_facet(http, world):
    _listing(world)
    login(http, "staff_edu")
    auth = {"Authorization": f"Bearer {_token(http)}"}
    values = _hit_values(_the_listing(http.get("/api/search", headers=auth).json()))
    page = http.get("/", params=values).text
    for f in fields.FILTERS:
        if f.kind == fields.DATES:
            for p in f.params:
                assert f'type="date" name="{p}" value="{values[p]}"' in page, p
        else:
            assert f'<input type="hidden" name="{f.key}" value="{html.escape(values[f.key])}">' in page, f.key
    headings = [h.split(" ")[0] for h in page.split("<h3>")[1:]]
    assert headings == [f.label for f in fields.PANEL]
    for key, label in browse.SORT_LABELS.items():
        assert f'<option value="{key}"' in page and label in page


def test_every_document_carries_the_declared_fields(world):
    from market.infra.db import session_scope
    from market.pool.documents import all_documents

    _listing(world)
    with session_scope() as db:
        docs = [d for batch in all_documents(db) for d in batch]
    assert {d["id"][0] for d in docs} == {"L", "M"}  # a listing and a rental offer
    for d in docs:
        assert set(fields.DOCUMENT_FIELDS) <= set(d), d["id"]
