"""The Meilisearch filter builder on its own: user input can never change a filter's meaning."""

from __future__ import annotations

import re
from datetime import date

import pytest

from search import SearchError, SearchQuery
from search.meili import FILTER_ATTRIBUTES, build_filter, quote, settings, to_meili_doc
from search.text import default_synonyms


def _unquote(literal: str) -> str:
    """Parse one Meilisearch double-quoted literal the way its grammar does (\\" and \\\\ are escapes)."""
    assert literal[0] == '"' and literal[-1] == '"'
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            out.append(body[i + 1])
            i += 2
            continue
        assert c != '"', "an unescaped quote would end the value early"
        out.append(c)
        i += 1
    return "".join(out)


EVIL = [
    '"] OR status = "disposed',
    'a" OR tier = "warehouse',
    '\\" OR 1 = 1 OR \\"',
    "涪城区\\",
    '"',
    "\\",
    "a' OR 'b",
    "x) OR (tier EXISTS",
]


@pytest.mark.parametrize("value", EVIL)
def test_hostile_values_stay_one_quoted_value(value):
    [expr] = build_filter(SearchQuery(district=value))
    attr, op, literal = expr.split(" ", 2)
    assert (attr, op) == ("district", "=")
    assert _unquote(literal) == value


def test_quote_escapes_backslash_before_quote():
    assert quote('a"b') == '"a\\"b"'
    assert quote("a\\b") == '"a\\\\b"'
    assert quote('\\"') == '"\\\\\\""'


@pytest.mark.parametrize("value", ["a\nb", "a\x00", "\x1b[31m", "a\rb", "a\u2028b", "a\u200bb"])
def test_control_characters_are_refused(value):
    with pytest.raises(SearchError):
        build_filter(SearchQuery(holder=value))


def test_overlong_values_are_refused():
    with pytest.raises(SearchError):
        quote("椅" * 200)  # 600 bytes > 468


def test_attribute_names_come_from_a_fixed_list():
    q = SearchQuery(category="A0501", district="涪城区", holder="市教育局", condition="良好", tier="idle", mode="loan",
                    available_from="2026-12-01", available_to="2026-12-31")
    exprs = build_filter(q)
    attrs = [e.split(" ", 1)[0] for e in exprs]
    assert attrs == [*FILTER_ATTRIBUTES.values(), "until_day", "from_day"]
    assert exprs[0] == 'category_prefixes = "A0501"'


def test_availability_overlap_uses_integer_days():
    exprs = build_filter(SearchQuery(available_from="2026-12-01", available_to="2026-12-31"))
    assert exprs == [f"until_day >= {date(2026, 12, 1).toordinal()}", f"from_day <= {date(2026, 12, 31).toordinal()}"]
    with pytest.raises(SearchError):
        build_filter(SearchQuery(available_from='2026-12-01" OR 1'))


def test_empty_values_add_no_filter():
    assert build_filter(SearchQuery(district="", tier=None)) == []


def test_documents_carry_filter_and_pinyin_fields():
    d = to_meili_doc({"id": "L1", "title": "震旦会议椅", "category_code": "A05010201", "category_name": "会议椅",
                      "category_path": ["家具用具", "椅凳类", "会议椅"], "brand": "震旦", "model": "CB-X06",
                      "available_from": None, "available_until": "2027-01-31", "lat": 31.4, "lng": 104.7,
                      "created_at": "2026-11-20T08:00:00+00:00"})
    assert "A050102" in d["category_prefixes"] and "A05010201" in d["category_prefixes"]
    assert {"huiyiyi", "hyy", "zhendan"} <= set(d["pinyin"])
    assert d["model_compact"] == "cbx06"
    # the words whose aliases it holds, where Meilisearch's synonyms cannot reach: a Latin brand name (its typos
    # and prefixes: lenvo, lenov) and the pinyin of an everyday name; not those of its category's ancestors
    assert {"aurora", "yizi"} <= set(d["aliases"]) and "zhendan" not in d["aliases"]
    air = to_meili_doc({"id": "L2", "title": "美的饮水机", "category_name": "饮水机", "brand": "美的",
                        "category_path": ["通用设备", "空调及电器", "饮水机"]})
    assert air["aliases"] == ["midea"]  # not kongtiaoji: 空调 is its parent's word, not its own
    assert "空调" not in air["terms"].split() and "kongtiao" not in air["pinyin"]  # asked only when nothing else
    assert {"空调", "空调及电器", "kongtiao"} <= set(air["path_terms"].split())  # finds: the ancestors' words
    signin = to_meili_doc({"id": "L3", "title": "签到台", "category_name": "签到台", "category_path": ["签到台"]})
    assert {"qiandaotai", "qdt"} <= set(signin["pinyin"])  # the whole name: jieba cuts it into 签到 + 台
    assert d["from_day"] == 0 and d["until_day"] == date(2027, 1, 31).toordinal()
    assert d["_geo"] == {"lat": 31.4, "lng": 104.7}
    assert isinstance(d["created_ts"], int)


def test_settings():
    s = settings(default_synonyms())
    assert "pinyin" in s["searchableAttributes"]
    # the order is the weight: the listing's own words, pinyin, aliases; its category's ancestors; the holder last
    order = s["searchableAttributes"]
    assert order[:2] == ["title", "category_name"] and order[-1] == "holder"
    assert order.index("model") < order.index("pinyin") < order.index("aliases") < order.index("category_path")
    assert s["rankingRules"].index("attribute") < s["rankingRules"].index("proximity")
    assert set(FILTER_ATTRIBUTES.values()) <= set(s["filterableAttributes"])
    assert s["localizedAttributes"] == [{"attributePatterns": ["*"], "locales": ["cmn"]}]
    assert "计算机" in s["synonyms"]["电脑"] and "电脑" not in s["synonyms"].get("笔记本电脑", [])
    assert s["typoTolerance"]["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 9}
    assert all(re.fullmatch(r"[a-z_]+", a) for a in s["filterableAttributes"] if a != "_geo")
