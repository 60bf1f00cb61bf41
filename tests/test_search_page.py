"""What a user sees of issue 18 on the browse page and in the search API: partial matches said so, the nearest
terms offered when nothing matches, facets that keep the other values of a selection."""

from __future__ import annotations

from conftest import login
from test_web import _listing, _token

RELAXED = "中所有词的结果，以下为部分匹配"


def test_the_page_says_when_it_shows_partial_matches(http, world):
    _listing(world)
    login(http, "staff_edu")
    page = http.get("/", params={"q": "会议椅 <b>投影幕"}).text
    assert "没有同时包含“会议椅 &lt;b&gt;投影幕”中所有词的结果，以下为部分匹配。" in page
    assert "震旦会议椅（闲置）" in page.replace("<mark>", "").replace("</mark>", "")
    whole = http.get("/", params={"q": "会议椅"}).text
    assert RELAXED not in whole and "震旦" in whole


def test_the_page_offers_the_nearest_terms_when_nothing_matches(http, world):
    _listing(world)
    login(http, "staff_edu")
    page = http.get("/", params={"q": "会场"}).text
    assert "您是不是要找：" in page and "/?q=%E4%BC%9A%E8%AE%AE%E6%A4%85" in page  # 会议椅, a link
    assert "您是不是要找：" not in http.get("/", params={"q": "会议椅"}).text


def test_the_api_flags_partial_matches_and_gives_the_nearest_terms(http, world):
    _listing(world)
    auth = {"Authorization": f"Bearer {_token(http)}"}
    partial = http.get("/api/search", headers=auth, params={"q": "会议椅 投影幕"}).json()
    assert partial["relaxed"] is True and partial["total"] >= 1 and partial["nearest"] == []
    exact = http.get("/api/search", headers=auth, params={"q": "会议椅"}).json()
    assert exact["relaxed"] is False and exact["total"] >= 1
    none = http.get("/api/search", headers=auth, params={"q": "会场"}).json()
    assert none["total"] == 0 and "会议椅" in none["nearest"]


def test_the_api_counts_a_selected_facet_without_its_own_selection(http, world):
    _listing(world)
    auth = {"Authorization": f"Bearer {_token(http)}"}
    everything = http.get("/api/search", headers=auth).json()["facets"]["tier"]
    assert len(everything) >= 2  # the idle lot and the vendors' rental offers
    chosen = http.get("/api/search", headers=auth, params={"tier": "idle"}).json()
    assert chosen["facets"]["tier"] == everything and {h["tier"] for h in chosen["hits"]} == {"idle"}
