"""The ledger's lists through the one list component (issue 13): assets, listings, users, statistics records, idle
alerts, notices and the demand board — each a page and an API endpoint over the same ``ListSpec``.

Table-driven: for every list, paging walks every row once with the right total and no cap, the search box and
each filter narrow, a bad filter, sort or page is refused with the same status and message on the page and in
the API, and the export (.xlsx and .csv) holds exactly the filtered rows and only what the actor may see.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from conftest import login
from factories import World, add_assets, add_user
from openpyxl import load_workbook
from sqlmodel import select

from market import notices
from market.assets import epc_for
from market.infra.eventlog import log_event
from market.models import Asset, Notice, User, Wish, utcnow
from market.pool import listings as pool

LONG_AGO = timedelta(days=400)


def _long_idle(db, assets: list[Asset]) -> None:
    for a in assets:
        a.updated_at = utcnow() - LONG_AGO
        log_event(db, None, "asset", a.id, "import", "从台账导入").at = utcnow() - LONG_AGO


def seed(db, w: World) -> None:
    """Rows for every list, of both units, with words and values that the filters and the search tell apart."""
    add_assets(db, w.edu, w.chair, 8, prefix="EC")
    _long_idle(db, add_assets(db, w.edu, w.laptop, 4, name="笔记本电脑", status="idle", prefix="EL"))
    add_assets(db, w.edu, w.chair, 1, name="涉密会议椅", prefix="ES", confidential=True)
    health = add_assets(db, w.health, w.chair, 3, prefix="HC")
    _long_idle(db, add_assets(db, w.health, w.laptop, 1, name="笔记本电脑", status="idle", prefix="HL"))
    _long_idle(db, add_assets(db, w.health, w.projector, 1, name="投影仪", status="idle", prefix="HP"))
    db.commit()
    edu_chairs = [a.id for a in db.exec(select(Asset).where(Asset.tag.startswith("EC")))]
    mgr_edu, mgr_health = w.user("mgr_edu"), w.user("mgr_health")
    pool.post_idle_items(db, mgr_edu, edu_chairs[:2], title="会议椅甲", mode="loan")
    pool.post_idle_items(db, mgr_edu, edu_chairs[2:4], title="会议椅乙", mode="transfer")
    folding = pool.post_idle_items(db, mgr_edu, edu_chairs[4:5], title="折叠椅", mode="both")
    pool.withdraw_listing(db, mgr_edu, folding.id, "自用")
    pool.post_idle_items(db, mgr_health, [a.id for a in health[:2]], title="卫健会议椅", mode="both")
    pool.receive_items(db, w.user("admin"), w.warehouse.id, w.projector.id, "投影仪", 2, "4000")
    pool.receive_items(db, w.user("admin"), w.warehouse.id, w.chair.id, "会议桌", 3, "800")
    for i in range(12):
        kind = ("wish_matched", "loan_due")[i % 2]
        notices.notify(db, [w.user("staff_edu").id], kind, f"{'心愿' if i % 2 == 0 else '到期'}提醒第{i}条",
                       "/notices", f"t:{i}")
    notices.notify(db, [w.user("staff_health").id], "loan_due", "卫健的私信", "/notices", "t:h")
    db.commit()
    for n in db.exec(select(Notice).where(Notice.text.endswith("第0条"))):
        n.read_at = utcnow()
    for i in range(7):
        notices.create_wish(db, w.user("staff_edu"), f"会议椅{i}", keywords="会议椅", category_id=w.chair.id,
                            public=True)
    for i in range(5):
        notices.create_wish(db, w.user("staff_health"), f"帐篷{i}", keywords="帐篷", category_id=w.laptop.id,
                            public=True)
    notices.create_wish(db, w.user("staff_edu"), "不公开的心愿", keywords="椅", public=False)
    for i in range(6):
        add_user(db, f"extra{i}.edu" if i % 2 else f"extra{i}.health", "unit_staff", w.edu if i % 2 else w.health)
    db.exec(select(User).where(User.username == "extra0.health")).one().is_active = False
    db.commit()


@dataclass(frozen=True)
class L:
    """One list: its page and API (and the parameters that fix which list), who reads it, the JSON key and
    id of its rows, a search word, and a value for each filter that keeps some rows and not all."""

    page: str
    api: str
    actor: str
    key: str
    ident: str
    word: str
    filters: dict[str, Callable[[World], Any]]
    fixed: dict[str, str] = field(default_factory=dict)


LISTS = {
    "assets": L("/assets", "/api/assets", "admin", "assets", "id", "笔记本",
                {"unit": lambda w: w.edu.id, "status": lambda w: "idle", "category": lambda w: w.laptop.id}),
    "listings": L("/listings", "/api/listings", "admin", "listings", "id", "卫健",
                  {"status": lambda w: "withdrawn", "mode": lambda w: "loan", "tier": lambda w: "warehouse",
                   "unit": lambda w: w.health.id, "category": lambda w: w.projector.id}),
    "users": L("/admin/users", "/api/users", "sysadmin", "users", "id", "edu",
               {"role": lambda w: "unit_manager", "unit": lambda w: w.edu.id, "active": lambda w: "0"}),
    "records": L("/stats/records", "/api/stats/records", "finance", "records", "id", "笔记本",
                 {"unit": lambda w: w.health.id, "category": lambda w: w.laptop.id}, {"kind": "idle"}),
    "idle": L("/idle", "/api/idle", "admin", "idle_assets", "asset_id", "笔记本",
              {"unit": lambda w: w.edu.id, "category": lambda w: w.projector.id}, {"days": "30"}),
    "notices": L("/notices", "/api/notices", "staff_edu", "notices", "id", "到期",
                 {"kind": lambda w: "loan_due", "unread": lambda w: "0"}),
    "board": L("/board", "/api/board", "staff_health", "wishes", "id", "帐篷",
               {"unit": lambda w: w.edu.id, "category": lambda w: w.laptop.id}),
}
NAMES = list(LISTS)


def _api(http: httpx.Client, spec: L, **params: Any) -> httpx.Response:
    return http.get(spec.api, params=spec.fixed | {k: str(v) for k, v in params.items()})


def _page(http: httpx.Client, spec: L, **params: Any) -> httpx.Response:
    return http.get(spec.page, params=spec.fixed | {k: str(v) for k, v in params.items()})


def _all(http: httpx.Client, spec: L, **params: Any) -> list[dict[str, Any]]:
    r = _api(http, spec, per_page=200, **params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pages"] == 1, body["total"]
    return body[spec.key]


@pytest.fixture()
def seeded(http, db, world):
    seed(db, world)
    return world


def _as(http: httpx.Client, spec: L) -> None:
    login(http, spec.actor)


@pytest.mark.parametrize("name", NAMES)
def test_paging_walks_every_row_once(http, seeded, name):
    spec = LISTS[name]
    _as(http, spec)
    every = _all(http, spec)
    assert len(every) > 5, (name, len(every))
    seen, pages = [], None
    page = 1
    while True:
        body = _api(http, spec, per_page=5, page=page).json()
        assert body["total"] == len(every) and body["per_page"] == 5
        pages = body["pages"]
        seen += [row[spec.ident] for row in body[spec.key]]
        assert len(body[spec.key]) == (5 if page < pages else len(every) - 5 * (pages - 1))
        html = _page(http, spec, per_page=5, page=page)
        assert html.status_code == 200 and f"第 {page} / {pages} 页" in html.text
        if page == pages:
            break
        page += 1
    assert pages == -(-len(every) // 5)
    assert sorted(seen) == sorted(row[spec.ident] for row in every) and len(set(seen)) == len(seen)
    assert _api(http, spec, per_page=5, page=pages + 1).json()[spec.key] == []  # past the end: empty, not an error


def _text(row: dict[str, Any]) -> str:
    return " ".join(str(v) for v in row.values())


@pytest.mark.parametrize("name", NAMES)
def test_search_narrows(http, seeded, name):
    spec = LISTS[name]
    _as(http, spec)
    every = _all(http, spec)
    found = _all(http, spec, q=spec.word)
    assert 0 < len(found) < len(every), (name, len(found), len(every))
    assert all(spec.word in _text(row) for row in found), found
    assert [r for r in every if spec.word in _text(r)] == found  # … and misses none (same order)
    assert _all(http, spec, q=f"{spec.word} 没有这个词") == []  # every word must match


@pytest.mark.parametrize("name", NAMES)
def test_each_filter_narrows(http, seeded, name):
    spec = LISTS[name]
    _as(http, spec)
    every = _all(http, spec)
    page = _page(http, spec)
    assert page.status_code == 200
    for key, value in spec.filters.items():
        kept = _all(http, spec, **{key: value(seeded)})
        assert 0 < len(kept) < len(every), (name, key, len(kept), len(every))
        assert {r[spec.ident] for r in kept} <= {r[spec.ident] for r in every}
        assert f'name="{key}"' in page.text  # the page offers the filter
        html = _page(http, spec, **{key: value(seeded)})
        assert html.status_code == 200 and f"共 {len(kept)} 条" in html.text


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_refused_alike_on_page_and_api(http, seeded, name):
    spec = LISTS[name]
    _as(http, spec)
    bad = [{next(iter(spec.filters)): "bogus"}, {"sort": "bogus"}, {"page": "0"}, {"page": "x"},
           {"per_page": "1000"}, {"q": "长" * 101}, {"export": "pdf"}]
    if name == "idle":
        bad.append({"days": "0"})
    for params in bad:
        api = _api(http, spec, **params)
        html = _page(http, spec, **params)
        assert api.status_code == html.status_code == 422, (name, params, api.status_code, html.status_code)
        message = api.json()["error"]["message"]
        assert message in html.text, (name, params, message)


def _xlsx(content: bytes) -> list[list[Any]]:
    ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("name", NAMES)
def test_export_holds_exactly_the_filtered_rows(http, seeded, name):
    spec = LISTS[name]
    _as(http, spec)
    key, value = next(iter(spec.filters.items()))
    kept = _all(http, spec, **{key: value(seeded)})
    for path in (spec.page, spec.api):
        for fmt, read in (("xlsx", _xlsx), ("csv", _csv)):
            r = http.get(path, params=spec.fixed | {key: str(value(seeded)), "export": fmt, "per_page": "2"})
            assert r.status_code == 200, (name, path, fmt, r.text[:300])
            assert f"gongwucang-{spec.key}.{fmt}" in r.headers["content-disposition"]
            rows = read(r.content)
            assert len(rows) - 1 == len(kept), (name, path, fmt, len(rows), len(kept))  # not one page: all
    everything = _csv(http.get(spec.api, params=spec.fixed | {"export": "csv"}).content)
    assert len(everything) - 1 == len(_all(http, spec))


def _tags(rows: list[list[Any]]) -> set[str]:
    return {r[0] for r in rows[1:]}


def test_exports_hold_only_what_the_actor_may_see(http, seeded):
    login(http, "mgr_edu")
    mine = _tags(_csv(http.get("/assets", params={"export": "csv"}).content))
    assert mine and all(t.startswith("E") for t in mine) and any(t.startswith("ES") for t in mine)
    assert _tags(_csv(http.get("/api/assets", params={"unit": seeded.health.id, "export": "csv"}).content)) == set()
    assert {r[1] for r in _csv(http.get("/listings", params={"export": "csv"}).content)[1:]} == {
        "会议椅甲", "会议椅乙", "折叠椅"}  # the lots my unit posted, the withdrawn one too
    http.cookies.clear()
    login(http, "admin")
    for url, params in (("/assets", {}), ("/api/assets", {}), ("/stats/records", {"kind": "active"})):
        r = http.get(url, params=params | {"export": "xlsx"})
        if url == "/stats/records":
            assert r.status_code == 200
        tags = _tags(_xlsx(r.content))
        assert tags and not any(t.startswith("ES") for t in tags), (url, tags)  # a confidential item: never
    http.cookies.clear()
    login(http, "finance")
    assert any(t.startswith("ES") for t in _tags(_xlsx(http.get("/stats/records", params={
        "kind": "active", "export": "xlsx"}).content)))
    http.cookies.clear()
    login(http, "staff_edu")
    text = http.get("/notices", params={"export": "csv"}).content.decode("utf-8-sig")
    assert "提醒第" in text and "卫健的私信" not in text
    assert http.get("/stats/records", params={"kind": "idle", "export": "csv"}).status_code == 403
    assert http.get("/api/users", params={"export": "csv"}).status_code == 403


def test_a_unit_role_lists_its_own_lots_and_assets(http, seeded):
    login(http, "staff_health")
    body = http.get("/api/listings").json()
    assert [x["title"] for x in body["listings"]] == ["卫健会议椅"] and body["listings"][0]["quantity"] == 2
    assert {a["owner_unit_id"] for a in http.get("/api/assets").json()["assets"]} == {seeded.health.id}
    page = http.get("/listings").text
    assert "卫健会议椅" in page and "会议椅甲" not in page


def test_nothing_stops_at_an_old_cap(http, db, world):
    """More rows than the old caps (a unit's assets 500, records 2000, messages 100, the board 200): every list
    counts and exports them all."""
    n = 2050
    rows = []
    for i in range(n):
        tag = f"BIG-{i:05d}"
        rows.append(Asset(tag=tag, epc=epc_for(tag), name="档案柜", category_id=world.chair.id, owner_unit_id=world.edu.id,
                          original_value=Decimal("100"), status="idle", updated_at=utcnow() - LONG_AGO))
    db.add_all(rows)
    for i in range(120):
        notices.notify(db, [world.user("staff_edu").id], "loan_due", f"第{i}条", "/notices", f"k:{i}")
    for i in range(210):
        db.add(Wish(unit_id=world.edu.id, created_by=world.user("staff_edu").id, title=f"心愿{i}", keywords="椅",
                    public=True))
    db.commit()
    login(http, "finance")
    assert http.get("/api/stats/records", params={"kind": "idle"}).json()["total"] == n
    assert http.get("/api/idle").json()["total"] == n
    sheet = load_workbook(io.BytesIO(http.get("/stats/export.xlsx").content), read_only=True)["闲置与在池资产"]
    assert sum(1 for _ in sheet.iter_rows(values_only=True)) == n + 1
    assert len(_csv(http.get("/stats/records", params={"kind": "idle", "export": "csv"}).content)) == n + 1
    http.cookies.clear()
    login(http, "mgr_edu")
    assert http.get("/api/assets").json()["total"] == n
    assert len(_csv(http.get("/assets", params={"export": "csv"}).content)) == n + 1
    assert "共 2050 条" in http.get("/assets").text
    http.cookies.clear()
    login(http, "staff_edu")
    assert http.get("/api/notices").json()["total"] == 120
    assert http.get("/api/board").json()["total"] == 210
