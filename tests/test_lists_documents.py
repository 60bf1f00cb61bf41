"""The document lists through the one list component (issue 13): requests, disposals, ownership transfers,
inventory counts, allocation proposals and purchase batches, each on its page and in the API, over real HTTP.

One table drives every test: for each list, its page, its endpoint, how to make documents of both units, how
to read a row's first cell back (the number, or the title), the words to search and the filters to try. Each
list pages past any old cap, finds by number and by text, narrows by each filter, answers a bad parameter with
the same status and message on the page and in the API, and exports exactly the filtered rows (xlsx and csv);
a unit role sees, and exports, only their unit's rows — or, for the planners' lists, is refused on both.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from conftest import login
from factories import PASSWORD, World, add_assets
from sqlmodel import Session, select

from market.infra.db import session_scope
from market.models import (
    DisposalCase,
    InventoryCount,
    Order,
    Proposal,
    PurchaseBatch,
    Request,
    User,
)


def who(db: Session, username: str) -> User:
    return db.exec(select(User).where(User.username == username)).one()


@dataclass
class Row:
    """One document as the test made it: its id, owner unit ("edu", "health", None), first cell, a word only it
    carries, the number a person would type, and its value of each filter."""

    id: int
    unit: str | None
    first: str
    word: str | None
    number: str
    attrs: dict[str, str] = field(default_factory=dict)


# --- making documents ------------------------------------------------------------------------------------------

UNITS = ("edu", "health")
LETTER = {"edu": "E", "health": "H"}


def _unit(w: World, key: str):  # noqa: ANN202
    return {"edu": w.edu, "health": w.health}[key]


def make_requests(db: Session, w: World) -> list[Row]:
    from market.models import PURPOSES
    from market.requests import LineInput, approve_request, submit_request

    rows = []
    start = date.today().replace(year=date.today().year + 1)
    for key in UNITS:
        for i in range(3):
            word = f"RQ{LETTER[key]}{i}"
            purpose = PURPOSES[i % 2]
            req = submit_request(db, who(db, f"staff_{key}"), f"座谈会用椅{word}",
                                 [LineInput(w.chair.id, 2, start, start)], purpose=purpose)
            if i == 0:
                approve_request(db, who(db, "admin"), req.id)
            rows.append(Row(req.id, key, req.number, word, req.number,
                            {"status": "approved" if i == 0 else "submitted", "purpose": purpose,
                             "unit": str(_unit(w, key).id)}))
    return rows


def _assets_of_each_unit(db: Session, w: World, code: str, status: str) -> Iterator[tuple[str, int, Any, str]]:
    """Three assets of each unit, one by one: (unit, index, asset, a word only its document will carry)."""
    for key in UNITS:
        assets = add_assets(db, _unit(w, key), w.chair, 3, status=status, prefix=f"{code}{LETTER[key]}")
        db.commit()
        for i, a in enumerate(assets):
            yield key, i, a, f"{code}{LETTER[key]}{i}"


def make_disposals(db: Session, w: World) -> list[Row]:
    from market import disposal as dsp

    rows = []
    for key, i, a, word in _assets_of_each_unit(db, w, "DS", "idle"):
        method = ("sale", "scrap", "donation")[i]
        case = dsp.apply_disposal(db, who(db, f"mgr_{key}"), [a.id], method, f"超过使用年限{word}")
        if i == 0:
            dsp.approve_disposal(db, who(db, "finance"), case.id)
        rows.append(Row(case.id, key, case.number, word, case.number,
                        {"status": "approved" if i == 0 else "applied", "method": method,
                         "unit": str(_unit(w, key).id)}))
    return rows


def make_transfers(db: Session, w: World) -> list[Row]:
    from market.transfers import approve_transfer, propose_transfer

    rows = []
    for key, i, a, word in _assets_of_each_unit(db, w, "TR", "in_use"):
        order = propose_transfer(db, who(db, f"mgr_{key}"), [a.id], w.bureau.id, f"调整办公用房{word}")
        if i == 0:
            approve_transfer(db, who(db, "finance"), order.id)
        rows.append(Row(order.id, key, order.number, word, order.number,
                        {"status": "completed" if i == 0 else "pending", "unit": str(_unit(w, key).id)}))
    # an order of another kind is no transfer: the list leaves it out
    db.add(Order(kind="loan", status="allocated", from_unit_id=w.bureau.id, to_unit_id=w.edu.id, quantity=1,
                 start_date=date.today(), created_by=who(db, "admin").id, note="出借TRX"))
    db.commit()
    return rows


def make_counts(db: Session, w: World) -> list[Row]:
    from market import counts

    rows = []
    for key in UNITS:
        for i in range(3):
            word = f"CN{LETTER[key]}{i}"
            c = counts.start_count(db, who(db, f"mgr_{key}"), unit_id=_unit(w, key).id, title=f"季度盘点{word}")
            if i == 0:
                counts.close_count(db, who(db, f"mgr_{key}"), c.id)
            rows.append(Row(c.id, key, c.title, word, str(c.id),
                            {"status": "closed" if i == 0 else "open", "unit": str(_unit(w, key).id)}))
    for i in range(2):
        word = f"CNW{i}"
        c = counts.start_count(db, who(db, "admin"), warehouse_id=w.warehouse.id, title=f"仓库盘点{word}")
        rows.append(Row(c.id, None, c.title, word, str(c.id), {"status": "open", "warehouse": str(w.warehouse.id)}))
    return rows


def make_proposals(db: Session, w: World) -> list[Row]:
    admin = who(db, "admin")
    rows = []
    for i, (policy, status) in enumerate([("tiered", "draft"), ("cost", "accepted"), ("tiered", "discarded"),
                                          ("cost", "draft"), ("tiered", "accepted")]):
        p = Proposal(created_by=admin.id, policy=policy, status=status, problem={"requests": []},
                     solution={"status": "optimal"}, cost_total=Decimal(100 * (i + 1)))
        db.add(p)
        db.flush()
        rows.append(Row(p.id, None, f"#{p.id}", None, str(p.id), {"status": status, "policy": policy}))
    db.commit()
    return rows


def make_batches(db: Session, w: World) -> list[Row]:
    admin = who(db, "admin")
    rows = []
    for i, (cat, status) in enumerate([(w.chair, "planned"), (w.laptop, "purchased"), (w.chair, "received"),
                                       (w.laptop, "planned"), (w.projector, "purchased")]):
        word = f"PB{i}"
        b = PurchaseBatch(category_id=cat.id, quantity=3, status=status, supplier=f"家具公司{word}",
                          reference_price=cat.reference_price, created_by=admin.id,
                          unit_price=None if status == "planned" else cat.reference_price - 10)
        db.add(b)
        db.flush()
        rows.append(Row(b.id, None, b.number, word, b.number, {"status": status, "category": str(cat.id)}))
    db.commit()
    return rows


# --- many bare rows at once (past the old caps of 100 and 200) ------------------------------------------------


def bulk(model: type, n: int, db: Session, w: World) -> None:
    admin, today = who(db, "admin"), date.today()
    make = {
        Request: lambda i: Request(unit_id=w.edu.id, created_by=admin.id, title=f"批量申请{i}", lat=31.4, lng=104.7),
        DisposalCase: lambda i: DisposalCase(unit_id=w.edu.id, method="scrap", created_by=admin.id),
        Order: lambda i: Order(kind="allot", status="pending", from_unit_id=w.edu.id, to_unit_id=w.bureau.id,
                               quantity=1, start_date=today, created_by=admin.id),
        InventoryCount: lambda i: InventoryCount(unit_id=w.edu.id, title=f"批量盘点{i}", started_by=admin.id),
        Proposal: lambda i: Proposal(created_by=admin.id, problem={}, solution={}),
        PurchaseBatch: lambda i: PurchaseBatch(category_id=w.chair.id, quantity=1, created_by=admin.id),
    }[model]
    db.add_all([make(i) for i in range(n)])
    db.commit()


# --- the table ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    page: str
    api: str
    key: str  # the JSON key of the rows
    model: type
    make: Callable[[Session, World], list[Row]]
    filters: tuple[tuple[str, str], ...]  # (parameter, the row attribute giving its value)
    sorts: tuple[str, ...]
    unit_roles_refused: bool = False  # the planners' lists: a unit role is refused, page and API
    numbered: bool = True  # a printed number finds exactly its document


CASES = [
    Case("requests", "/requests", "/api/requests", "requests", Request, make_requests,
         (("status", "status"), ("purpose", "purpose"), ("unit", "unit")), ("newest", "oldest", "needed")),
    Case("disposals", "/disposals", "/api/disposals", "disposals", DisposalCase, make_disposals,
         (("status", "status"), ("method", "method"), ("unit", "unit")), ("newest", "oldest", "value", "closed")),
    Case("transfers", "/transfers", "/api/transfers", "transfers", Order, make_transfers,
         (("status", "status"), ("unit", "unit")), ("newest", "oldest", "value")),
    Case("counts", "/counts", "/api/counts", "counts", InventoryCount, make_counts,
         (("status", "status"), ("unit", "unit"), ("warehouse", "warehouse")), ("newest", "oldest", "closed"),
         numbered=False),
    Case("proposals", "/proposals", "/api/proposals", "proposals", Proposal, make_proposals,
         (("status", "status"), ("policy", "policy")), ("newest", "oldest", "accepted", "cost"),
         unit_roles_refused=True, numbered=False),
    Case("batches", "/purchasing", "/api/purchasing", "batches", PurchaseBatch, make_batches,
         (("status", "status"), ("category", "category")), ("newest", "oldest", "purchased"),
         unit_roles_refused=True),
]
IDS = [c.name for c in CASES]


# --- talking to the app --------------------------------------------------------------------------------------


class People:
    """A signed-in page client and an API token per person, made when first asked for."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.pages: dict[str, httpx.Client] = {}
        self.tokens: dict[str, dict[str, str]] = {}

    def page(self, username: str, url: str) -> httpx.Response:
        if username not in self.pages:
            c = httpx.Client(base_url=self.base, follow_redirects=False, timeout=60)
            assert login(c, username).status_code == 303
            self.pages[username] = c
        return self.pages[username].get(url)

    def api(self, username: str, url: str) -> httpx.Response:
        if username not in self.tokens:
            with httpx.Client(base_url=self.base, timeout=60) as c:
                r = c.post("/api/session", json={"username": username, "password": PASSWORD})
                assert r.status_code == 200, r.text
                self.tokens[username] = {"Authorization": f"Bearer {r.json()['token']}"}
        with httpx.Client(base_url=self.base, timeout=60) as c:
            return c.get(url, headers=self.tokens[username])

    def close(self) -> None:
        for c in self.pages.values():
            c.close()


@pytest.fixture()
def people(http, live_server):  # noqa: ANN001, ANN201  (http: the emptied database and the small world)
    p = People(live_server)
    yield p
    p.close()


def made(world: World, case: Case) -> list[Row]:
    with session_scope(write=True) as db:
        rows = case.make(db, world)
        db.commit()
    return rows


def _url(path: str, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{path}?{query}" if query else path


def api_ids(people: People, who_: str, case: Case, **params: Any) -> list[int]:
    """Every id the endpoint lists for ``params``, walking its pages."""
    ids, page = [], 1
    while True:
        r = people.api(who_, _url(case.api, **params, page=page, per_page=2))
        assert r.status_code == 200, r.text
        body = r.json()
        ids += [x["id"] for x in body[case.key]]
        if page >= body["pages"]:
            return ids
        page += 1


def exported(r: httpx.Response) -> list[list[str]]:
    """The rows of an exported file (header first), every cell as text."""
    assert r.status_code == 200, r.text[:300]
    if "spreadsheetml" in r.headers["content-type"]:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(r.content), read_only=True).worksheets[0]
        return [["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)]
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def page_error(r: httpx.Response) -> str:
    m = re.search(r'<p class="alert" role="alert">(.*?)</p>', r.text, re.S)
    assert m, r.text[:300]
    return html.unescape(m.group(1).strip())


# --- the tests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_pages_walk_every_row_and_the_total_is_right(people, world, case):
    rows = made(world, case)
    ids = api_ids(people, "admin", case)
    assert sorted(ids) == sorted(r.id for r in rows) and len(ids) == len(set(ids))
    first = people.api("admin", _url(case.api, per_page=2)).json()
    assert first["total"] == len(rows) and first["pages"] == (len(rows) + 1) // 2 and first["per_page"] == 2
    by_id = {r.id: r for r in rows}
    for page in range(1, first["pages"] + 1):
        api_rows = people.api("admin", _url(case.api, page=page, per_page=2)).json()[case.key]
        html_page = people.page("admin", _url(case.page, page=page, per_page=2))
        assert html_page.status_code == 200
        assert f"共 {len(rows)} 条" in html_page.text and f"第 {page} / {first['pages']} 页" in html_page.text
        shown = [r.first for r in rows if r.first in html_page.text]
        assert sorted(shown) == sorted(by_id[x["id"]].first for x in api_rows), (page, shown)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_no_list_stops_at_an_old_cap(people, world, case):
    with session_scope(write=True) as db:
        bulk(case.model, 205, db, world)
    body = people.api("admin", _url(case.api, per_page=200)).json()
    assert body["total"] == 205 and body["pages"] == 2 and len(body[case.key]) == 200
    assert len(people.api("admin", _url(case.api, per_page=200, page=2)).json()[case.key]) == 5
    assert "共 205 条" in people.page("admin", case.page).text
    assert len(exported(people.api("admin", _url(case.api, export="csv")))) == 1 + 205


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_search_finds_by_number_and_by_text(people, world, case):
    rows = made(world, case)
    for row in (rows[0], rows[-1]):
        found = api_ids(people, "admin", case, q=row.number)
        assert row.id in found
        if case.numbered:
            assert found == [row.id], (row.number, found)
            assert row.first in people.page("admin", _url(case.page, q=row.number)).text
        if row.word:
            assert api_ids(people, "admin", case, q=row.word) == [row.id]
            text = people.page("admin", _url(case.page, q=row.word)).text
            assert [r.first for r in rows if r.first in text] == [row.first]
    if any(r.unit for r in rows):  # by the unit's name
        assert sorted(api_ids(people, "admin", case, q="卫生健康")) == sorted(r.id for r in rows if r.unit == "health")
    assert api_ids(people, "admin", case, q="没有这样的单据") == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_each_filter_narrows(people, world, case):
    rows = made(world, case)
    for param, attr in case.filters:
        values = sorted({r.attrs[attr] for r in rows if attr in r.attrs})
        assert values, (param, "the test made no rows to filter by")
        for value in values:
            want = sorted(r.id for r in rows if r.attrs.get(attr) == value)
            assert sorted(api_ids(people, "admin", case, **{param: value})) == want, (param, value)
            assert 0 < len(want) < len(rows)
            text = people.page("admin", _url(case.page, **{param: value}, per_page=100)).text
            assert f"共 {len(want)} 条" in text, (param, value)
    for sort in case.sorts:
        assert sorted(api_ids(people, "admin", case, sort=sort)) == sorted(r.id for r in rows), sort
    newest = api_ids(people, "admin", case, sort="newest")
    assert newest == sorted(newest, reverse=True) and api_ids(people, "admin", case, sort="oldest") == newest[::-1]


BAD = [{"status": "bogus"}, {"sort": "bogus"}, {"page": "0"}, {"page": "x"}, {"per_page": "500"},
       {"q": "长" * 101}, {"export": "pdf"}]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_bad_parameter_is_refused_alike_on_page_and_api(people, world, case):
    for bad in BAD:
        url_page, url_api = _url(case.page, **bad), _url(case.api, **bad)
        page, api = people.page("admin", url_page), people.api("admin", url_api)
        assert page.status_code == api.status_code == 422, (bad, page.status_code, api.status_code)
        assert page_error(page) == api.json()["error"]["message"], bad
    # a filter that is an id: the same refusal for a word
    param = next((p for p, _ in case.filters if p in ("unit", "warehouse", "category")), None)
    if param:
        page, api = people.page("admin", _url(case.page, **{param: "abc"})), people.api("admin", _url(case.api, **{param: "abc"}))
        assert page.status_code == api.status_code == 422 and page_error(page) == api.json()["error"]["message"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_export_holds_exactly_the_filtered_rows(people, world, case, fmt):
    rows = made(world, case)
    param, attr = case.filters[0]
    value = sorted({r.attrs[attr] for r in rows})[-1]
    want = sorted(r.first for r in rows if r.attrs.get(attr) == value)
    for get, path in ((people.api, case.api), (people.page, case.page)):
        table = exported(get("admin", _url(path, **{param: value}, export=fmt, per_page=1)))
        assert table[0][0] and sorted(line[0] for line in table[1:]) == want, (path, table)
    everything = exported(people.api("admin", _url(case.api, export=fmt)))
    assert sorted(line[0] for line in everything[1:]) == sorted(r.first for r in rows)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_unit_role_sees_and_exports_its_own_unit_only(people, world, case):
    rows = made(world, case)
    for person, unit in (("staff_edu", "edu"), ("mgr_health", "health")):
        if case.unit_roles_refused:
            for url in (case.page, _url(case.page, export="xlsx")):
                assert people.page(person, url).status_code == 403, url
            for url in (case.api, _url(case.api, export="csv")):
                r = people.api(person, url)
                assert r.status_code == 403 and "error" in r.json(), url
            continue
        mine = sorted(r.id for r in rows if r.unit == unit)
        assert mine and sorted(api_ids(people, person, case)) == mine
        other = [r for r in rows if r.unit != unit]
        # searching or filtering for the other unit's rows finds nothing of them
        for r in other:
            assert r.id not in api_ids(people, person, case, q=r.number)
        text = people.page(person, _url(case.page, per_page=100)).text
        assert not [r.first for r in other if r.first in text]
        assert sorted(r.first for r in rows if r.unit == unit) == sorted(
            r.first for r in rows if r.first in text)
        for fmt in ("xlsx", "csv"):
            for get, path in ((people.api, case.api), (people.page, case.page)):
                table = exported(get(person, _url(path, export=fmt)))
                assert sorted(line[0] for line in table[1:]) == sorted(r.first for r in rows if r.unit == unit), \
                    (person, path, fmt)
        ledger = sorted(api_ids(people, "finance", case))
        assert ledger == sorted(r.id for r in rows)


def test_the_transfer_list_is_in_the_navigation(people, world):
    assert 'href="/transfers"' in people.page("mgr_edu", "/requests").text
