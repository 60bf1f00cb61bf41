"""The top bar's navigation (web/nav.py): what each role is offered, and which link is lit on which page."""

from __future__ import annotations

import re

import pytest
from conftest import login

from web.nav import nav_html

EVERYONE = ["公物池", "需求申请", "单据", "需求广场"]
EXPECTED = {
    "unit_staff": ["公物池", "挂牌", "需求申请", "配置申请", "单据", "调拨", "需求广场", "本单位资产"],
    "unit_manager": ["公物池", "挂牌", "需求申请", "配置申请", "单据", "调拨", "盘点", "闲置提醒", "处置", "需求广场",
                     "本单位资产", "绩效"],
    "warehouse_admin": ["公物池", "挂牌", "审批与申请", "配置申请", "单据", "调拨", "集中采购", "盘点", "闲置提醒", "处置",
                        "需求广场", "资产", "系统管理", "入库", "绩效", "统计", "监管报表", "调配方案"],
    "finance": ["公物池", "挂牌", "需求申请", "配置申请", "单据", "调拨", "集中采购", "闲置提醒", "处置", "需求广场", "资产",
                "绩效", "统计", "监管报表", "调配方案"],
    "sysadmin": ["公物池", "需求申请", "单据", "处置", "需求广场", "资产", "系统管理", "绩效", "统计"],
}


def _labels(html: str) -> list[str]:
    return re.findall(r">([^<]+)</a>", html)


def _lit(html: str) -> list[str]:
    return re.findall(r'class="active">([^<]+)</a>', html)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_is_offered_its_pages_in_order(role):
    labels = _labels(nav_html(role, "/"))
    assert labels == EXPECTED[role]
    assert all(x in labels or x == "需求申请" for x in EVERYONE)


@pytest.mark.parametrize(("path", "lit"), [
    ("/", ["公物池"]), ("/listings", ["挂牌"]), ("/listings/12/edit", ["挂牌"]), ("/wishes/3", ["需求广场"]),
    ("/board", ["需求广场"]), ("/warehouse/receive", ["入库"]), ("/requests/5", ["审批与申请"]),
    ("/notices", []), ("/settings/notify", []), ("/no/such/page", []), ("/listingsx", []),
])
def test_the_page_shown_lights_its_link_and_only_it(path, lit):
    assert _lit(nav_html("warehouse_admin", path)) == lit


def test_pages_show_the_bar_of_their_reader(http, world):
    login(http, "mgr_edu")
    page = http.get("/orders").text
    bar = page[page.index('<nav class="mainnav">'):page.index("</nav>", page.index('<nav class="mainnav">'))]
    assert _labels(bar) == EXPECTED["unit_manager"] and _lit(bar) == ["单据"]
