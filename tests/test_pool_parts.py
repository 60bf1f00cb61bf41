"""The browse page's facet panel, cards and links (web/pages/pool_parts.py): what each shows, every value
escaped, and every link the address ``urlencode`` writes."""

from __future__ import annotations

import html
from urllib.parse import urlencode

import pytest

from search import fields
from web.pages.pool_parts import Links, cards_html, panel_html, quoted

LISTING = {
    "id": "L7", "title": "会议椅", "title_highlighted": "<mark>会议椅</mark>", "category_name": "办公椅",
    "brand": "震旦", "model": "AC-1", "tier": "idle", "holder": "市教育局", "district": "东城区",
    "conditions": ["全新", "良好"], "modes": ["loan", "transfer"], "quantity": 12, "available_now": 9,
    "available_from": "2026-12-01", "available_until": None, "photo": "/media/p.jpg", "distance_km": 3.456,
}
RENTAL = {
    "id": "M3", "title": "帐篷租赁", "title_highlighted": "帐篷租赁", "category_name": "帐篷", "brand": "",
    "model": "", "tier": "rental", "holder": "<b>锦川</b>篷房", "district": "", "conditions": [], "modes": ["loan"],
    "quantity": 0, "available_from": None, "available_until": None, "photo": None,
    "price_per_unit_day": "35.00", "delivery_fee": "300.00",
}


@pytest.mark.parametrize("params", [
    {}, {"q": "会议椅"}, {"q": "a&b=c d", "district": "东城区"}, {"district": "东城区", "q": "椅", "sort": "newest"},
    {"q": "椅", "page": "3", "tier": "idle"}, {"holder": "<甲&乙>"},
])
@pytest.mark.parametrize("key", ["district", "q", "tier", "holder"])
def test_a_facet_link_is_the_address_urlencode_writes(params, key):
    links = Links(params)
    base = {k: v for k, v in params.items() if k != "page"}
    for value in ("西城区", "a b&c", "idle"):
        expected = "/?" + urlencode(base | {key: value})
        assert links(**{key: value}) == expected
        head, tail = links.around(key)
        assert head + quoted(value) + tail == html.escape(expected, quote=True)
    assert links(**{key: None}) == ("/?" + urlencode(without) if (without := {
        k: v for k, v in base.items() if k != key}) else "/")
    assert links(page="2") == "/?" + urlencode(base | {"page": "2"})


def test_a_listing_card_shows_what_the_lot_is_and_where():
    card = cards_html([LISTING])
    assert '<a href="/listings/7"><mark>会议椅</mark></a>' in card
    assert "单位闲置" in card and "办公椅" in card and "震旦 AC-1" in card and 'src="/media/p.jpg"' in card
    assert "<strong>12</strong> <small" in card and "现在库 9，其余已出借或已预订" in card
    assert "<dt>持有</dt><dd>市教育局</dd>" in card and "<dd>全新、良好</dd>" in card and "<dd>出借、调剂</dd>" in card
    assert "<dd>3.5 公里</dd>" in card and "<dd>2026-12-01 至 长期</dd>" in card and "租金" not in card
    whole = cards_html([{**LISTING, "available_now": 12, "distance_km": None, "available_from": None}])
    assert "现在库" not in whole and "距离" not in whole and "可用期" not in whole


def test_a_rental_card_shows_its_vendor_and_rent_with_every_value_escaped():
    card = cards_html([RENTAL])
    assert '<a href="/rentals/3">帐篷租赁</a>' in card and "市场租赁" in card
    assert "<dt>日供应</dt><dd><strong>不限</strong></dd>" in card
    assert "<dt>供应商</dt><dd>&lt;b&gt;锦川&lt;/b&gt;篷房</dd>" in card and "<b>" not in card
    assert "¥35.00/件/天，送货 ¥300.00" in card and "区县" not in card and "成色" not in card
    assert "<strong>40</strong>" in cards_html([{**RENTAL, "quantity": 40}])


def test_the_panel_lights_the_chosen_value_and_offers_to_clear_it():
    district, tier = fields.DISTRICT, fields.TIER
    panel = [(tier, [("idle", "单位闲置", 4), ("rental", "市场租赁", 2)]),
             (district, [("东城区", "东城区", 3), ("<西>", "<西>", 1)]), (fields.HOLDER, [])]
    params = {"q": "椅", "district": "东城区"}
    out = panel_html(panel, params, Links(params))
    assert out.count("<section>") == 2 and "持有单位" not in out  # an empty facet, not chosen: left out
    assert '<h3>区县 <a href="/?q=%E6%A4%85" class="clear">清除</a></h3>' in out
    assert '<a href="/?q=%E6%A4%85&amp;district=%E4%B8%9C%E5%9F%8E%E5%8C%BA" class="on">东城区</a>' in out
    assert '>&lt;西&gt;</a> <span class="n">1</span>' in out
    assert '<a href="/?q=%E6%A4%85&amp;district=%E4%B8%9C%E5%9F%8E%E5%8C%BA&amp;tier=idle" class="">' in out
    chosen_but_empty = panel_html([(fields.HOLDER, [])], {"holder": "甲"}, Links({"holder": "甲"}))
    assert "持有单位" in chosen_but_empty and 'class="clear"' in chosen_but_empty
