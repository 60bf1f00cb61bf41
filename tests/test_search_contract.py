"""The search contract: every backend must pass the same suite (embedded always; Meilisearch when
MEILI_URL is set — no server can be installed here, and it is never faked)."""

from __future__ import annotations

import math
import os
import uuid
from collections import Counter

import pytest

import search
from search import SearchError, SearchQuery
from tests.test_search_fixture import documents

MEILI_URL = os.environ.get("MEILI_URL")
BACKENDS = [
    "embedded",
    pytest.param("meilisearch", marks=pytest.mark.skipif(
        not MEILI_URL, reason="Meilisearch contract tests need MEILI_URL (and MEILI_MASTER_KEY) of a running server")),
]
DOCS = documents()
BY_ID = {d["id"]: d for d in DOCS}
CHAIRS = {"L1", "L2", "L3", "L4", "L5", "L26", "L27", "L35", "M2"}


def _open(kind: str):
    if kind == "embedded":
        return search.open_backend("embedded")
    name = f"test_pool_{uuid.uuid4().hex[:10]}"
    return search.open_backend("meilisearch", url=MEILI_URL, api_key=os.environ.get("MEILI_MASTER_KEY"),
                               index_name=name)


def _drop(kind: str, b) -> None:
    if kind == "meilisearch":
        b.client.index(b.uid).delete()


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request):
    b = _open(request.param)
    b.index(DOCS)
    yield b
    _drop(request.param, b)


@pytest.fixture(params=BACKENDS)
def fresh(request):
    b = _open(request.param)
    b.index(DOCS)
    yield b
    _drop(request.param, b)


def ids(engine, q="", **kw) -> list[str]:
    kw.setdefault("per_page", 100)
    return [h["id"] for h in engine.search(SearchQuery(q=q, **kw)).hits]


# ------------------------------------------------------------------ words and phrases

@pytest.mark.parametrize("q, expected", [
    ("椅子", CHAIRS),
    ("桌子", {"L6", "L7", "L8", "L30"}),
    ("帐篷", {"L22", "L23", "L33", "M1"}),   # 篷房 is a mutual synonym
    ("柜子", {"L9", "L10", "L29", "L20"}),   # 柜式空调 also holds 柜: the price of per-character recall
])
def test_two_character_words_find_longer_words(engine, q, expected):
    assert set(ids(engine, q)) == expected


def test_phrase(engine):
    assert set(ids(engine, "会议椅")) == {"L1", "L2", "L26", "L27"}
    assert set(ids(engine, "震旦会议椅")) == {"L1"}


def test_long_query_word_split_into_dictionary_words(engine):
    assert set(ids(engine, "格力空调")) == {"L20", "L31"}


# ------------------------------------------------------------------ pinyin

def test_pinyin_full_and_initials(engine):
    assert set(ids(engine, "huiyiyi")) == {"L1", "L2", "L26", "L27"}
    assert {"L1", "L2", "L26", "L27"} <= set(ids(engine, "hyy"))


def test_pinyin_of_sub_words(engine):
    assert {"L18", "L32"} <= set(ids(engine, "dyj"))  # 激光打印机 → 打印机 → dyj


def test_pinyin_matches_rank_below_text_matches(engine):
    got = ids(engine, "hy")
    assert set(got[:2]) == {"L17", "L26"}  # models HY-120 and HY-08 before 会议…/红叶 by pinyin
    assert len(got) > 2


# ------------------------------------------------------------------ synonyms

def test_mutual_synonyms(engine):
    assert {"L11", "L12", "L13", "L14", "L28"} <= set(ids(engine, "电脑"))
    assert set(ids(engine, "投影机")) == {"L15", "L16", "L34", "M4"}
    assert set(ids(engine, "投影仪")) == {"L15", "L16", "L34", "M4"}
    assert {"L24", "L25", "M3"} == set(ids(engine, "音响"))
    assert {"L6", "L7"} <= set(ids(engine, "办公桌"))


def test_one_way_synonyms_do_not_widen_the_narrow_word(engine):
    assert set(ids(engine, "笔记本电脑")) == {"L11", "L12"}  # 电脑 → 笔记本电脑 only one way
    assert set(ids(engine, "打印一体机")) == {"L19"}


def test_synonyms_loaded_from_an_administrators_file(fresh, tmp_path):
    f = tmp_path / "synonyms.txt"
    f.write_text("# 管理员维护\n公文柜 => 文件柜\n\n红叶，堡狮龙 幕布\n", encoding="utf-8")
    groups = search.load_synonyms(f)
    assert groups == [["公文柜", "=>", "文件柜"], ["红叶", "堡狮龙", "幕布"]]
    assert fresh.search(SearchQuery(q="公文柜")).relaxed  # no listing says 公文: only partial matches (柜)
    fresh.set_synonyms(search.default_synonyms() + groups)
    found = fresh.search(SearchQuery(q="公文柜", per_page=100))
    assert {h["id"] for h in found.hits} == {"L9", "L10", "L29"} and not found.relaxed
    assert "L17" in ids(fresh, "堡狮龙")


def test_synonym_file_errors_are_reported(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("电脑 计算机\n孤词\n", encoding="utf-8")
    with pytest.raises(ValueError, match="第 2 行"):
        search.load_synonyms(f)


# ------------------------------------------------------------------ typos and model codes

def test_typo_on_latin_model_names(engine):
    assert ids(engine, "thinkpda e14")[0] == "L11"
    assert {"L11", "L12"} <= set(ids(engine, "thnikpad"))  # a swap counts as one typo
    assert "L13" in ids(engine, "optiplx")


def test_words_first_seen_after_a_search_are_found_by_typo_prefix_and_pinyin(fresh):
    """A query word asked for before the documents that match it arrive (the embedded index keeps each
    word's alternatives until the vocabulary changes)."""
    for q in ("zenbok", "zenbo", "suizhiji", "szj"):
        assert ids(fresh, q) == [], q
    fresh.index([dict(BY_ID["L11"], id="L901", title="华硕 Zenbook 14 笔记本", brand="华硕", model="zenbook"),
                 dict(BY_ID["L19"], id="L902", title="碎纸机 S5", category_name="碎纸机", brand="", model="S5")])
    assert "L901" in ids(fresh, "zenbok")  # one typo
    assert "L901" in ids(fresh, "zenbo")  # the start of the last word
    assert "L902" in ids(fresh, "suizhiji") and "L902" in ids(fresh, "szj")  # pinyin and its initials


def test_no_typos_on_short_words(engine):
    assert ids(engine, "e15") == []
    assert ids(engine, "m5x") == []


def test_model_codes_without_punctuation(engine):
    assert ids(engine, "cbx06") == ["L15"]
    assert ids(engine, "CB-X06") == ["L15"]
    assert ids(engine, "dcp7195dw") == ["L19"]


# ------------------------------------------------------------------ facets

def _expected_facets(docs):
    out = {name: Counter() for name in search.FACET_FIELDS}
    for d in docs:
        out["category"][d["category_code"]] += 1
        for f in ("district", "holder", "tier"):
            if d[f]:
                out[f][d[f]] += 1
        for c in d["conditions"]:
            out["condition"][c] += 1
        for m in d["modes"]:
            out["mode"][m] += 1
    return {k: dict(v) for k, v in out.items()}


def test_every_facet_counts_exactly(engine):
    r = engine.search(SearchQuery(facets=tuple(search.FACET_FIELDS)))
    assert r.total == len(DOCS)
    assert r.facets == _expected_facets(DOCS)


def test_facet_values_come_most_frequent_first_then_by_value(engine):
    for q in ("", "椅子", "hyy"):
        r = engine.search(SearchQuery(q=q, facets=tuple(search.FACET_FIELDS)))
        for name, counts in r.facets.items():
            assert list(counts.items()) == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])), (q, name)


def test_facets_count_the_filtered_results(engine):
    r = engine.search(SearchQuery(q="椅子", facets=("tier", "condition", "mode")))
    assert r.facets["tier"] == {"idle": 5, "warehouse": 3, "rental": 1}
    assert r.facets == {k: v for k, v in _expected_facets([BY_ID[i] for i in CHAIRS]).items()
                        if k in ("tier", "condition", "mode")}


# ------------------------------------------------------------------ filters

@pytest.mark.parametrize("field, value", [
    ("district", "涪城区"), ("holder", "市教育局"), ("condition", "全新"), ("tier", "rental"), ("mode", "loan"),
])
def test_filters(engine, field, value):
    doc_field = {"condition": "conditions", "mode": "modes"}.get(field, field)
    want = {d["id"] for d in DOCS if (value in d[doc_field] if isinstance(d[doc_field], list) else d[doc_field] == value)}
    assert want and set(ids(engine, **{field: value})) == want


def test_category_filter_matches_parent_code_prefix(engine):
    assert set(ids(engine, category="A050102")) == CHAIRS
    assert set(ids(engine, category="A05010201")) == {"L1", "L2", "L26", "L27"}
    assert set(ids(engine, "震旦", category="A050102")) == {"L1", "L3"}


def test_unknown_filter_values_find_nothing(engine):
    assert ids(engine, district='"] OR status = "disposed') == []


WINDOW_LIMITED = {"L3", "L4", "L5", "L8", "L11", "L15", "L23", "L24", "L29", "L33"}


@pytest.mark.parametrize("frm, to, inside, outside", [
    ("2026-12-01", "2026-12-31", {"L3", "L4", "L5", "L11", "L15", "L23", "L24"}, {"L8", "L29", "L33"}),
    ("2026-11-30", "2026-11-30", {"L8", "L23", "L4"}, {"L3", "L15", "L29", "L33"}),  # ends are inclusive
    ("2027-01-01", None, {"L29", "L4", "L3", "L23"}, {"L8", "L24", "L15", "L33"}),     # open end
    (None, "2026-11-24", {"L8", "L33", "L4", "L24"}, {"L23", "L29", "L3", "L5", "L15"}),
])
def test_availability_window_must_overlap(engine, frm, to, inside, outside):
    got = set(ids(engine, available_from=frm, available_to=to))
    assert inside <= got
    assert not (outside & got)
    assert set(BY_ID) - WINDOW_LIMITED <= got  # listings without dates are always available


# ------------------------------------------------------------------ sorting

def test_sort_newest(engine):
    got = ids(engine, sort="newest")
    assert got[:3] == ["L15", "L1", "L12"]
    dated = [BY_ID[i]["created_at"] for i in got if BY_ID[i]["created_at"]]
    assert dated == sorted(dated, reverse=True)


def _km(a, b):
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_sort_by_distance(engine):
    origin = (31.4560, 104.7420)  # 市卫生健康委员会
    r = engine.search(SearchQuery(q="椅子", sort="distance", origin=origin, per_page=50))
    d = [h["distance_km"] for h in r.hits]
    assert d == sorted(d)
    assert r.hits[0]["holder"] == "市卫生健康委员会" and d[0] < 0.01
    for h in r.hits:
        assert h["distance_km"] == pytest.approx(_km(origin, (h["lat"], h["lng"])), abs=0.05)


ORIGINS = [(31.4560, 104.7420), (30.6570, 104.0660), (31.0, 104.5)]


def _distances_are_right(engine) -> dict[str, float | None]:
    """Every hit's distance from each origin, in both sorts; returns the last origin's distances by id."""
    tol = 0.0005 if engine.kind == "embedded" else 0.05  # km; Meilisearch gives whole metres, its own radius
    for origin in ORIGINS:
        for sort in ("distance", "relevance"):
            r = engine.search(SearchQuery(sort=sort, origin=origin, per_page=100))
            assert r.total == len(r.hits)
            got = {h["id"]: h["distance_km"] for h in r.hits}
            for h in r.hits:
                if h.get("lat") is None:
                    assert h["distance_km"] is None
                else:
                    assert h["distance_km"] == pytest.approx(_km(origin, (h["lat"], h["lng"])), abs=tol)
            if sort == "distance":
                placed = [d for d in got.values() if d is not None]
                assert placed == sorted(placed)
    return got


def test_distances_follow_added_moved_and_deleted_documents(fresh):
    _distances_are_right(fresh)
    fresh.index([dict(BY_ID["L7"], lat=30.0, lng=103.0), dict(BY_ID["L1"], id="L900", lat=31.9, lng=105.1)])
    got = _distances_are_right(fresh)
    assert got["L7"] == pytest.approx(_km(ORIGINS[-1], (30.0, 103.0)), abs=0.05)
    assert got["L900"] == pytest.approx(_km(ORIGINS[-1], (31.9, 105.1)), abs=0.05)
    fresh.delete(["L9"])
    assert "L9" not in _distances_are_right(fresh)


def test_embedded_keeps_distances_for_a_bounded_number_of_origins(monkeypatch):
    import search.embedded as embedded

    b = search.open_backend("embedded")
    b.index(DOCS)
    monkeypatch.setattr(embedded, "DISTANCE_FLOATS", 2 * len(DOCS))  # room for two origins
    _distances_are_right(b)
    assert list(b._distances) == ORIGINS[1:]  # the origin used longest ago went first
    assert b._distances_kept == sum(len(a) for a in b._distances.values())
    b.index([dict(BY_ID["L2"], lat=30.1, lng=104.1)])  # one slot more: one distance more per origin asked
    _distances_are_right(b)
    assert all(len(a) == b.n for a in b._distances.values())


def test_embedded_kept_word_scores_never_outlive_a_write():
    """The embedded index keeps each query word's scores until the index changes (``_word``): after any
    upsert, delete or synonym change, every answer equals the one computed with nothing kept."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from search.text import segment_query

    words = ["会议椅", "椅子", "折叠椅", "桌子", "投影仪", "hyy", "zhedie", "thinkpad", "公文柜", "会议 椅"]
    doc = st.builds(lambda i, title: dict(BY_ID["L2"], id=f"W{i}", title=title),
                    st.integers(0, 6), st.sampled_from(["会议椅 黑色", "折叠椅", "会议桌", "投影仪", "公文柜 铁皮"]))
    step = st.one_of(
        st.tuples(st.just("index"), st.lists(doc, min_size=1, max_size=2)),
        st.tuples(st.just("delete"), st.lists(st.sampled_from(["L1", "L3", "L9", "W0", "W1", "W2"]), max_size=2)),
        st.tuples(st.just("synonyms"), st.sampled_from([[["公文柜", "=>", "文件柜"]], [["椅子", "=>", "椅"]], []])))

    def answers(b) -> list:  # noqa: ANN001  (the hits, and the scores under their order)
        return [([(h["id"], h["title_highlighted"]) for h in b.search(SearchQuery(q=q, per_page=100)).hits],
                 b._text(segment_query(q), b.alive.a[:b.n], b.n)[0].tolist()) for q in words]

    @settings(max_examples=40, deadline=None, database=None)
    @given(st.lists(step, min_size=1, max_size=6))
    def same(steps):  # noqa: ANN001, ANN202
        b = search.open_backend("embedded")
        b.index(DOCS)
        for kind, arg in steps:
            answers(b)  # every word's scores kept
            {"index": b.index, "delete": b.delete, "synonyms": b.set_synonyms}[kind](arg)
            kept = answers(b)
            b._scores_changed()  # nothing kept: computed afresh
            assert kept == answers(b), (kind, arg)

    same()


def test_embedded_keeps_word_scores_for_a_bounded_number_of_slots(monkeypatch):
    import search.embedded as embedded

    b = search.open_backend("embedded")
    b.index(DOCS)
    monkeypatch.setattr(embedded, "WORD_SCORE_SLOTS", 2 * b.n)  # room for two words
    for q in ("椅子", "桌子", "投影仪", "椅子", "zqxzqx"):
        ids(b, q)
    # the word used longest ago went first; a word that matches nothing (neither a listing's own words nor, asked
    # next, its category's ancestors, then a holder's name) is kept without taking room
    assert list(b._word_scores) == [("投影仪", True), ("椅子", True), ("zqxzqx", True), ("p:zqxzqx", True),
                                    ("h:zqxzqx", True)]
    assert b._word_scores[("zqxzqx", True)] is None and b._word_slots == 2 * b.n
    ws, hit, _ = b._word_scores[("椅子", True)]
    assert not ws.flags.writeable and not hit.flags.writeable  # shared by every search until the next write


def test_sort_by_relevance_puts_title_matches_first(engine):
    got = ids(engine, "投影仪")
    assert set(got[:3]) == {"L15", "L34", "M4"} and got[3] == "L16"  # 投影机 only via synonym


def test_distance_requires_an_origin(engine):
    with pytest.raises(SearchError):
        engine.search(SearchQuery(sort="distance"))


# ------------------------------------------------------------------ highlighting and pagination

def test_highlight(engine):
    hit = engine.search(SearchQuery(q="会议椅", per_page=50))
    by = {h["id"]: h for h in hit.hits}
    assert by["L1"]["title_highlighted"] == "震旦<mark>会议椅</mark>（闲置）"
    assert by["L27"]["title_highlighted"] == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>会议椅</mark>"


def test_highlight_escapes_html_in_every_hit(engine):
    for q in ("script", "", "alert"):
        for h in engine.search(SearchQuery(q=q, per_page=100)).hits:
            assert "<script" not in h["title_highlighted"]


def test_pagination(engine):
    seen = []
    for page in range(1, 5):
        r = engine.search(SearchQuery(page=page, per_page=10))
        assert r.total == len(DOCS)
        seen += [h["id"] for h in r.hits]
    assert len(seen) == len(set(seen)) == len(DOCS)
    r = engine.search(SearchQuery(page=5, per_page=10))
    assert r.total == len(DOCS) and r.hits == []


def test_hits_carry_the_document_fields(engine):
    h = engine.search(SearchQuery(q="cbx06")).hits[0]
    for k, v in BY_ID["L15"].items():
        assert h[k] == v
    assert "distance_km" not in h


# ------------------------------------------------------------------ writes

def test_upsert_replaces_a_document(fresh):
    doc = dict(BY_ID["L1"], title="震旦会议椅（已维修）", description="已维修，可调剂。")
    fresh.index([doc])
    assert fresh.count() == len(DOCS)
    assert ids(fresh, "已维修") == ["L1"]
    assert ids(fresh, "闲置") == []
    assert fresh.search(SearchQuery(facets=("tier",))).facets["tier"]["idle"] == 20


def test_delete(fresh):
    fresh.delete(["L1", "M2", "nope"])
    assert fresh.count() == len(DOCS) - 2
    assert "L1" not in ids(fresh, "会议椅")
    assert set(ids(fresh, "椅子")) == CHAIRS - {"L1", "M2"}


def test_clear(fresh):
    fresh.clear()
    assert fresh.count() == 0
    assert fresh.search(SearchQuery(q="椅子")).total == 0
    fresh.index([BY_ID["L15"]])
    assert ids(fresh, "投影仪") == ["L15"]


def test_health(engine):
    h = engine.health()
    assert h["status"] == "ok" and h["documents"] == len(DOCS)


# ------------------------------------------------------------------ suggest

def test_suggest(engine):
    assert "会议椅" in engine.suggest("会议")
    assert "会议椅" in engine.suggest("hy")      # pinyin initials
    assert "会议椅" in engine.suggest("huiy")    # pinyin prefix
    assert any("ThinkPad" in s for s in engine.suggest("thi"))
    assert "震旦" in engine.suggest("zhend")
    assert len(engine.suggest("会", limit=3)) == 3
    assert engine.suggest("") == []


# ------------------------------------------------------------------ embedded only: persistence

def test_embedded_persists_to_a_directory(tmp_path):
    b = search.open_backend("embedded", path=tmp_path / "idx")
    b.index(DOCS)
    b.close()
    b = search.open_backend("embedded", path=tmp_path / "idx")
    assert b.count() == len(DOCS) and set(ids(b, "椅子")) == CHAIRS
    b.delete(["L1"])  # journal only, no snapshot: replayed on open
    b.set_synonyms([["公文柜", "=>", "文件柜"]])
    b2 = search.open_backend("embedded", path=tmp_path / "idx")
    assert b2.count() == len(DOCS) - 1 and set(ids(b2, "公文柜")) == {"L9", "L10", "L29"}


def test_embedded_snapshot_of_an_older_layout_is_indexed_again(tmp_path, monkeypatch):
    """A snapshot written by a release that analysed documents otherwise (its format differs): its documents
    are indexed again with today's rules, and the journal written after it still applies."""
    import search.embedded as embedded

    monkeypatch.setattr(embedded, "FORMAT", embedded.FORMAT - 1)
    old = search.open_backend("embedded", path=tmp_path / "idx")
    old.index(DOCS)
    old.flush()
    old.delete(["L1"])  # in the journal only
    monkeypatch.undo()
    b = search.open_backend("embedded", path=tmp_path / "idx")
    assert b.count() == len(DOCS) - 1 and set(ids(b, "椅子")) == CHAIRS - {"L1"}
    assert set(ids(b, "帐篷")) == {"L22", "L23", "L33", "M1"} and set(ids(b, "lenovo")) == {"L11", "L12", "L28", "L32"}


def test_new_condition_values_are_faceted_and_filtered(fresh):
    fresh.index([dict(BY_ID["L7"], conditions=["待维修"])])
    assert ids(fresh, condition="待维修") == ["L7"]
    assert fresh.search(SearchQuery(facets=("condition",))).facets["condition"]["待维修"] == 1


def test_many_values_of_a_multi_valued_field_are_each_counted(fresh):
    """Twelve condition values (more than the embedded index counts as combinations of bits)."""
    extra = [f"状态{i:02d}" for i in range(12)]
    docs = [dict(BY_ID[i], conditions=extra[k % 12: k % 12 + 2]) for k, i in enumerate(("L1", "L2", "L3", "L7"))]
    fresh.index(docs)
    counts = fresh.search(SearchQuery(facets=("condition",))).facets["condition"]
    expected = Counter(c for d in DOCS if d["id"] not in {"L1", "L2", "L3", "L7"} for c in d["conditions"])
    expected.update(c for d in docs for c in d["conditions"])
    assert counts == dict(expected)
    assert set(ids(fresh, condition="状态03")) == {"L3", "L7"}


def test_embedded_facets_stay_exact_as_writes_and_searches_interleave():
    """The embedded index counts facets from rows it derives and extends after searches (search/facets.py):
    values, condition columns (past ten values: bit by bit), upserts and deletes arriving between searches
    must leave every count, and the order, what the live documents say."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    conditions = ["", *(f"状态{i:02d}" for i in range(13))]  # "" is no value: never a facet value
    doc = st.builds(
        lambda i, holder, district, tier, conds, modes: dict(
            BY_ID["L1"], id=f"P{i}", holder=holder, district=district, tier=tier, conditions=conds, modes=modes,
            category_code=f"A0{i % 3}"),
        st.integers(0, 9), st.sampled_from(["", "甲单位", "乙单位", "丙单位", "丁公司"]),
        st.sampled_from(["", "涪城区", "游仙区"]), st.sampled_from(["warehouse", "idle", "rental"]),
        st.lists(st.sampled_from(conditions), max_size=3, unique=True),
        st.lists(st.sampled_from(["loan", "transfer"]), max_size=2, unique=True))
    step = st.one_of(st.tuples(st.just("index"), st.lists(doc, min_size=1, max_size=3)),
                     st.tuples(st.just("delete"), st.lists(st.integers(0, 9).map(lambda i: f"P{i}"), max_size=2)))

    @settings(max_examples=60, deadline=None, database=None)
    @given(st.lists(step, min_size=1, max_size=12), st.sampled_from([None, "idle", "warehouse"]))
    def exact(steps, tier):  # noqa: ANN001, ANN202
        b = search.open_backend("embedded")
        live: dict[str, dict] = {}
        for kind, arg in steps:
            if kind == "index":
                b.index(arg)
                live.update((d["id"], d) for d in arg)
            else:
                b.delete(arg)
                for i in arg:
                    live.pop(i, None)
            r = b.search(SearchQuery(tier=tier, facets=tuple(search.FACET_FIELDS)))
            expected = _expected_facets([d for d in live.values() if tier is None or d["tier"] == tier])
            expected["tier"] = _expected_facets(list(live.values()))["tier"]  # disjunctive: its own choice not applied
            expected["condition"].pop("", None)
            assert r.facets == expected
            for counts in r.facets.values():
                assert list(counts.items()) == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    exact()


@pytest.mark.parametrize("bad", [dict(page=0), dict(per_page=0), dict(per_page=101), dict(sort="price"),
                                 dict(facets=("status",)), dict(available_from="2027-01-02", available_to="2027-01-01")])
def test_invalid_queries_are_refused_with_a_message(engine, bad):
    with pytest.raises(SearchError) as e:
        engine.search(SearchQuery(**bad))
    assert e.value.message
