"""The permission matrix: every role, and nobody signed in, against every state-changing page and API endpoint.

The routes come from the app's own route table, so a state-changing route added without an entry in ``ENTRIES``
fails ``test_every_state_changing_route_has_an_entry``. Each (entry, actor) cell is its own test: it creates the
objects the request acts on (through the services, owned by 市教育局 where the object belongs to a unit), makes the
real request over HTTP — pages with a signed-in session and a valid CSRF token, the API with a bearer token — and
checks the answer:

- an allowed actor gets a 2xx/3xx, the database changes (one event more in the log, for logged actions);
- a refused actor gets 403 with a Chinese message (the error page, or ``{"error": {"code": "forbidden"}}``), or
  nobody signed in is sent to the sign-in page (pages) / gets 401 (API); and nothing changed: every table and the
  data directory are as they were before the request.

The people: 教育局 staff and manager act on their own unit's objects; 卫健委 staff and manager are the other unit
acting on them (cross-unit cases); the unit manager of the 机关事务管理局 itself, whose unit owns the warehouse stock
on the books but who must not handle it (``[warehouse stock]`` entries); the warehouse administrator, the finance
supervisor, the system administrator.
``test_csrf_refused`` sends each route once more as an allowed actor but without a valid CSRF token (pages) or with
the session cookie and no X-CSRF-Token header (API): refused, nothing written.

The database is emptied and the small world rebuilt once per entry (not per cell); the cells of an entry each
create their own objects. A summary with the figures is printed at the end of the module.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import csrf, empty_database, restore_page_session
from factories import PASSWORD, add_assets, build_world
from sqlmodel import func, select

from market.infra.db import get_engine, session_scope
from market.models import (
    Category,
    ConfigStandard,
    CountLine,
    DamageRecord,
    Event,
    Notice,
    PurchaseNeed,
    Unit,
    User,
    metadata,
    utcnow,
)

ACTORS = ["anonymous", "staff_edu", "mgr_edu", "staff_health", "mgr_health", "mgr_bureau", "admin", "finance",
          "sysadmin"]
ROLE_OF = {"anonymous": "anonymous", "staff_edu": "unit_staff", "mgr_edu": "unit_manager",
           "staff_health": "unit_staff (other unit)", "mgr_health": "unit_manager (other unit)",
           "mgr_bureau": "unit_manager of the bureau that owns the warehouse stock on the books",
           "admin": "warehouse_admin", "finance": "finance", "sysadmin": "sysadmin"}
SIGNED = frozenset(ACTORS[1:])
EVERYONE = frozenset(ACTORS)
UNIT_PEOPLE = frozenset({"staff_edu", "mgr_edu", "staff_health", "mgr_health", "mgr_bureau"})
OWN_UNIT = frozenset({"staff_edu", "mgr_edu"})
OWNER_OR_ADMIN = frozenset({"mgr_edu", "admin"})  # the owning unit's manager, or the warehouse administrator
ADMIN = frozenset({"admin"})
HOLDER_OR_ADMIN = frozenset({"mgr_health", "admin"})  # a loan of 卫健委's idle items: its manager hands over too
FINANCE = frozenset({"finance"})
SYSADMIN = frozenset({"sysadmin"})
CATALOGUE = frozenset({"admin", "sysadmin"})

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CJK = re.compile(r"[\u4e00-\u9fff]")
CSRF_PAGE_MESSAGE = "缺少 CSRF 令牌"


# --- making the objects a request acts on -----------------------------------------------------------------


class Make:
    """Objects created through the services (as the people who would create them), committed, returned as ids."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.counter = itertools.count(1)

    def n(self) -> int:
        return next(self.counter)

    @contextmanager
    def db(self):  # noqa: ANN201
        with session_scope(write=True) as db:
            yield db

    @staticmethod
    def who(db, key: str) -> User:  # noqa: ANN001
        return db.exec(select(User).where(User.username == key)).one()

    @property
    def w(self):  # noqa: ANN201
        return self.env.world

    def unit(self, name: str) -> Unit:
        return {"edu": self.w.edu, "health": self.w.health}[name]

    def assets(self, unit: str = "edu", n: int = 2, status: str = "in_use", value: str = "300") -> list[int]:
        with self.db() as db:
            ids = [a.id for a in add_assets(db, db.get(Unit, self.unit(unit).id), db.get(Category, self.w.chair.id),
                                            n, status=status, value=value)]
            db.commit()
        return ids

    def listing(self, unit: str = "edu", n: int = 2) -> int:
        from market.pool.listings import post_idle_items

        ids = self.assets(unit, n)
        with self.db() as db:
            return post_idle_items(db, self.who(db, f"mgr_{unit}"), ids, title="闲置会议椅").id

    def stock_listing(self) -> int:
        """New items received into the warehouse: warehouse stock in the pool."""
        from market.pool.listings import receive_items

        with self.db() as db:
            return receive_items(db, self.who(db, "admin"), self.w.warehouse.id, self.w.chair.id, "会议椅", 2,
                                 "350").id

    def stock(self) -> list[int]:
        """Idle items kept in the warehouse (owned on the books by the bureau that runs it), out of the pool."""
        from market.models import Asset
        from market.pool.listings import withdraw_listing

        listing = self.stock_listing()
        with self.db() as db:
            withdraw_listing(db, self.who(db, "admin"), listing)
            return list(db.exec(select(Asset.id).where(Asset.warehouse_id == self.w.warehouse.id,
                                                       Asset.status == "idle", Asset.listing_id.is_(None))))[-2:]

    def stock_disposal(self, upto: str = "approved") -> dict[str, Any]:
        from market import disposal as dsp

        ids = self.stock()
        with self.db() as db:
            case = dsp.apply_disposal(db, self.who(db, "admin"), ids, "sale", "库存积压，已无调剂价值")
            if upto == "approved":
                dsp.approve_disposal(db, self.who(db, "finance"), case.id)
            return {"id": case.id}

    def request(self, unit: str = "edu", approve: bool = False, qty: int = 2) -> tuple[int, int]:
        from market.requests import LineInput, approve_request, request_lines, submit_request

        start = utcnow().date() + timedelta(days=30)
        with self.db() as db:
            req = submit_request(db, self.who(db, f"staff_{unit}"), "座谈会",
                                 [LineInput(self.w.chair.id, qty, start, start + timedelta(days=1))])
            if approve:
                approve_request(db, self.who(db, "admin"), req.id)
            return req.id, request_lines(db, req.id)[0].id

    def acquisition(self, state: str = "pool_offer") -> dict[str, Any]:
        """教育局's acquisition request (配置申请) of chairs: the warehouse's offer waiting for the unit
        ("pool_offer"), or over the price cap and waiting for finance ("over_cap")."""
        from market.acquisitions import AcquisitionInput, submit_acquisition

        if state == "pool_offer":
            self.stock_listing()
        with self.db() as db:
            price = "300" if state == "pool_offer" else "2000"  # the standard's cap for 会议椅: 800 元
            req = submit_acquisition(db, self.who(db, "staff_edu"), AcquisitionInput(
                self.w.chair.id, 5, price, "新增会议室", "", state == "over_cap"))
            assert req.status == state, req.status
            return {"id": req.id}

    def loan_order(self, on_loan: bool = False, stock: bool = False) -> dict[str, Any]:
        """A loan of 卫健委's idle chairs (or, ``stock``, of warehouse stock) to 教育局: allocated, or handed out."""
        from market.orders import allocate_from_listing, hand_out, order_items

        listing = self.stock_listing() if stock else self.listing("health")
        _, line = self.request("edu", approve=True)
        with self.db() as db:
            admin = self.who(db, "admin")
            order = allocate_from_listing(db, admin, line, listing, 2)
            if on_loan:
                hand_out(db, admin, order.id)
            items = [a for _, a in order_items(db, order.id)]
            return {"id": order.id, "tags": [a.tag for a in items], "assets": [a.id for a in items],
                    "conditions": [a.condition for a in items]}

    def damage(self) -> dict[str, Any]:
        from market.orders import Inspection, return_loan

        order = self.loan_order(on_loan=True)
        first, second = order["assets"]
        with self.db() as db:
            return_loan(db, self.who(db, "admin"), order["id"], {
                first: Inspection("一般", cause="user", description="椅面划伤", repair_cost=Decimal("50")),
                second: Inspection("良好")})
            rec = db.exec(select(DamageRecord).where(DamageRecord.order_id == order["id"])).one()
            return {"id": rec.id}

    def allot(self) -> dict[str, Any]:
        from market.transfers import propose_transfer

        ids = self.assets("edu", 1)
        with self.db() as db:
            return {"id": propose_transfer(db, self.who(db, "mgr_edu"), ids, self.w.health.id, "调给卫健委").id}

    def disposal(self, method: str = "sale", upto: str = "applied") -> dict[str, Any]:
        from market import disposal as dsp

        if upto == "early_review":  # younger than its minimum life, broken beyond repair: the extra approval
            with self.db() as db:
                young = add_assets(db, db.get(Unit, self.w.edu.id), db.get(Category, self.w.laptop.id), 1,
                                   name="笔记本电脑", status="idle", purchased=date(2025, 1, 1))
                db.commit()
                case = dsp.apply_disposal(db, self.who(db, "mgr_edu"), [young[0].id], method, "跌落损毁", True,
                                          "检验报告 P-1")
                return {"id": case.id}
        ids = self.assets("edu", 1, status="idle")
        order = ["applied", "approved", "appraised", "sold", "remitted"]
        with self.db() as db:
            case = dsp.apply_disposal(db, self.who(db, "mgr_edu"), ids, method, "超过使用年限")
            admin = self.who(db, "admin")
            if order.index(upto) >= 1:
                dsp.approve_disposal(db, self.who(db, "finance"), case.id)
            if order.index(upto) >= 2:
                dsp.appraise(db, admin, case.id, "100", "锦川正信资产评估有限公司")
            if order.index(upto) >= 3:
                dsp.sell(db, admin, case.id, "拍卖", "某回收公司", "95")
                if case.status == "sale_review":  # far below book value: finance's second approval
                    dsp.confirm_sale(db, self.who(db, "finance"), case.id)
            if order.index(upto) >= 4:
                dsp.remit(db, admin, case.id, "FS-1")
            return {"id": case.id}

    def count(self, scope: str = "unit", all_seen: bool = False, stray: bool = False) -> dict[str, Any]:
        """An open count of 教育局 (by its manager) or of the warehouse, with one item on the books."""
        from market import counts

        if scope == "unit":
            self.assets("edu", 1)
        with self.db() as db:
            if scope == "unit":
                c = counts.start_count(db, self.who(db, "mgr_edu"), unit_id=self.w.edu.id)
            else:
                c = counts.start_count(db, self.who(db, "admin"), warehouse_id=self.w.warehouse.id)
            out: dict[str, Any] = {"id": c.id}
            admin = self.who(db, "admin")
            if all_seen:
                tags = list(db.exec(select(CountLine.tag).where(CountLine.count_id == c.id)))
                if tags:
                    counts.record_reads(db, admin, c.id, tags)
            if stray:
                tag = f"UNKNOWN-{self.n()}"
                counts.record_reads(db, admin if scope != "unit" else self.who(db, "mgr_edu"), c.id, [tag])
                out["line"] = db.exec(select(CountLine.id).where(CountLine.count_id == c.id,
                                                                 CountLine.tag == tag)).one()
            return out

    def proposal(self) -> dict[str, Any]:
        from market.proposals import run_matcher

        self.listing("health")
        self.request("edu", approve=True)
        with self.db() as db:
            prop = run_matcher(db, self.who(db, "admin"), "tiered", 10.0)
            first = prop.solution["assignments"][0]
            return {"id": prop.id, "request": first["request"], "source": first["source"]}

    def approved_demand(self) -> dict[str, Any]:
        self.listing("health")
        self.request("edu", approve=True)
        return {}

    def batch(self, status: str | None = None) -> dict[str, Any]:
        """An open purchase need for chairs; with ``status``, a batch of it planned or purchased."""
        from market import purchasing

        _, line = self.request("edu", approve=True)
        with self.db() as db:
            db.add(PurchaseNeed(request_line_id=line, category_id=self.w.chair.id, quantity=3))
            db.commit()
            if status is None:
                return {}
            admin = self.who(db, "admin")
            batch = purchasing.create_batch(db, admin, self.w.chair.id)
            if status == "purchased":
                purchasing.record_purchase(db, admin, batch.id, "某家具公司", "280")
            return {"id": batch.id}

    def wish(self) -> dict[str, Any]:
        from market.notices import create_wish

        with self.db() as db:
            return {"id": create_wish(db, self.who(db, "staff_edu"), "想要会议椅", keywords="会议椅", public=True).id}

    def notice(self) -> dict[str, Any]:
        """An unread message to 教育局's staff member: only they can mark it read."""
        with self.db() as db:
            n = Notice(user_id=self.who(db, "staff_edu").id, kind="test", text="测试消息", link="/", key=f"t{self.n()}")
            db.add(n)
            db.commit()
            return {"id": n.id}

    def rule(self) -> dict[str, Any]:
        from market.models import ApprovalRule

        with self.db() as db:
            rule = ApprovalRule(action="disposal", min_value=Decimal(200000 + self.n()), steps=["finance"])
            db.add(rule)
            db.commit()
            return {"id": rule.id}

    def target_user(self) -> dict[str, Any]:
        from market.accounts import create_user

        with self.db() as db:
            return {"id": create_user(db, None, f"target{self.n()}", "unit_staff", "long-enough-1",
                                      self.w.edu.id).id}


# --- the table ----------------------------------------------------------------------------------------------


@dataclass
class Entry:
    method: str
    path: str  # the route's path exactly as the app declares it
    allowed: frozenset[str]
    setup: Callable[[Make], dict[str, Any]] | None = None
    data: Callable[[Make, dict[str, Any]], Any] | None = None  # form fields (pages) or the JSON body (API)
    files: Callable[[Make, dict[str, Any]], dict[str, Any]] | None = None
    url: str | None = None  # the concrete path when the route has a free segment (the disposal step)
    variant: str = ""
    noop: frozenset[str] = frozenset()  # allowed, answered 2xx/3xx, but nothing of theirs to change
    logged: bool = True  # an allowed action adds a row to the event log
    clone: bool = False  # sign-in and sign-out act on a copy of the actor's cookies
    fresh_token: bool = False  # signing out of the API revokes the token: use one of its own
    background: bool = False  # the work finishes in a background job after the redirect
    content: Callable[[Make, dict[str, Any]], bytes] | None = None  # an API body that is a file, not JSON

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path


def _const(value: Any) -> Callable[[Make, dict[str, Any]], Any]:
    return lambda m, p: value


def P(path: str, allowed: frozenset[str], setup=None, data=None, **kw) -> Entry:  # noqa: ANN001, N802
    """A page route (POST)."""
    return Entry("POST", path, allowed, setup, data if callable(data) or data is None else _const(data), **kw)


def A(path: str, allowed: frozenset[str], setup=None, data=None, method: str = "POST", **kw) -> Entry:  # noqa: ANN001, N802
    """An API route."""
    return Entry(method, path, allowed, setup, data if callable(data) or data is None else _const(data), **kw)


def _start(m: Make) -> str:
    return (utcnow().date() + timedelta(days=40)).isoformat()


def _end(m: Make) -> str:
    return (utcnow().date() + timedelta(days=41)).isoformat()


def _weights(m: Make) -> dict[str, float]:
    from market.evaluation import INDICATORS

    return {k: float(10 + (m.n() + i) % 40) for i, k in enumerate(INDICATORS)}


def _report(m: Make, p: dict[str, Any]) -> dict[str, Any]:
    return {"report": ("评估报告.pdf", b"%PDF-1.4 appraisal " + b"x" * 2048, "application/pdf")}


def _ledger(m: Make, p: dict[str, Any]) -> dict[str, Any]:
    csv = "资产名称,资产分类代码,数量,原值\n会议椅,A05010201,2,600\n"
    return {"file": ("台账.csv", csv.encode("utf-8"), "text/csv")}


def _catalogue(m: Make, p: dict[str, Any]) -> dict[str, Any]:
    csv = f"分类代码,分类名称,参考单价\nA0501{m.n():04d},折叠椅,120\n"
    return {"file": ("分类.csv", csv.encode("utf-8"), "text/csv")}


def _standards(m: Make, p: dict[str, Any]) -> dict[str, Any]:
    csv = f"# 本市配置标准\n分类代码,价格上限,最低使用年限\nA05010201,{700 + m.n()},15\n"
    return {"file": ("配置标准.csv", csv.encode("utf-8"), "text/csv")}


def _standard(m: Make) -> dict[str, Any]:
    with m.db() as db:
        return {"id": db.exec(select(ConfigStandard).where(ConfigStandard.category_id == m.w.chair.id)).one().id}


def _unit(m: Make) -> dict[str, Any]:
    n = m.n()
    return {"code": f"TST{n}", "name": f"市测试局{n}", "district": "涪城区", "lat": 31.47, "lng": 104.70}


# The steps of a disposal: (step, allowed, how far the case must be, method, form fields / JSON body).
DISPOSAL_STEPS = [
    ("approve_early", FINANCE, "early_review", "scrap", {}),
    ("reject_early", FINANCE, "early_review", "scrap", {"reason": "可以修复"}),
    ("approve", FINANCE, "applied", "sale", {}),
    ("reject", FINANCE, "applied", "sale", {"reason": "理由不充分"}),
    # appraisal and sale: never the applicant unit (issue 14, finding 10)
    ("appraise", ADMIN, "approved", "sale", {"value": "100", "appraiser": "锦川正信资产评估有限公司"}),
    ("sell", ADMIN, "appraised", "sale", {"channel": "拍卖", "buyer": "某回收公司", "proceeds": "95"}),
    ("hand_over", OWNER_OR_ADMIN, "appraised", "free_transfer", {"recipient": "市第一中学"}),
    ("remit", OWNER_OR_ADMIN, "sold", "sale", {"voucher": "FS-2026-1"}),
    ("write_off", OWNER_OR_ADMIN, "remitted", "sale", {}),
    ("cancel", OWNER_OR_ADMIN, "applied", "sale", {}),
]


def _pages() -> list[Entry]:
    w = lambda m: m.w  # noqa: E731
    entries = [
        P("/login", EVERYONE, data={"username": "staff_edu", "password": PASSWORD, "next": "/"}, logged=False,
          clone=True),
        P("/logout", EVERYONE, noop=frozenset({"anonymous"}), logged=False, clone=True),  # ends the session row
        P("/requests/new", UNIT_PEOPLE, data=lambda m, p: {
            "title": "座谈会", "purpose": "大型会议", "line_count": "1", "category_0": str(w(m).chair.id),
            "quantity_0": "3", "start_0": _start(m), "end_0": _end(m)}),
        P("/requests/{id}/approve", ADMIN, lambda m: {"id": m.request()[0]}),
        P("/requests/{id}/reject", ADMIN, lambda m: {"id": m.request()[0]}, {"reason": "本月会议用椅已足"}),
        P("/requests/{id}/withdraw", OWN_UNIT, lambda m: {"id": m.request()[0]}),
        P("/acquisitions/new", UNIT_PEOPLE, data=lambda m, p: {
            "category": str(w(m).chair.id), "quantity": "2", "unit_price": "300", "reason": "新增会议室"}),
        P("/acquisitions/{id}/accept", OWN_UNIT | ADMIN, lambda m: m.acquisition()),
        P("/acquisitions/{id}/decline", OWN_UNIT | ADMIN, lambda m: m.acquisition(), {"reason": "型号不符"}),
        P("/acquisitions/{id}/look-again", OWN_UNIT | ADMIN, lambda m: m.acquisition()),
        P("/acquisitions/{id}/withdraw", OWN_UNIT, lambda m: m.acquisition()),
        P("/acquisitions/{id}/exception", FINANCE, lambda m: m.acquisition("over_cap"),
          {"decision": "approve", "note": "同意"}),
        P("/listings", OWNER_OR_ADMIN, lambda m: {"assets": m.assets()},
          lambda m, p: {"asset": [str(i) for i in p["assets"]], "title": "闲置会议椅", "mode": "both"}),
        P("/listings/{id}/withdraw", OWNER_OR_ADMIN, lambda m: {"id": m.listing()}, {"reason": "自用"}),
        P("/listings", ADMIN, lambda m: {"assets": m.stock()},
          lambda m, p: {"asset": [str(i) for i in p["assets"]], "mode": "both"}, variant="warehouse stock"),
        P("/listings/{id}/withdraw", ADMIN, lambda m: {"id": m.stock_listing()}, {"reason": "盘整"},
          variant="warehouse stock"),
        P("/warehouse/receive", ADMIN, data=lambda m, p: {
            "warehouse": str(w(m).warehouse.id), "category": str(w(m).chair.id), "name": "会议椅", "quantity": "2",
            "original_value": "350"}),
        P("/orders/{id}/hand-out", HOLDER_OR_ADMIN, lambda m: m.loan_order(),
          lambda m, p: {"tags": " ".join(p["tags"])}),
        P("/orders/{id}/hand-out", ADMIN, lambda m: m.loan_order(stock=True),
          lambda m, p: {"tags": " ".join(p["tags"])}, variant="warehouse stock"),
        P("/orders/{id}/return", HOLDER_OR_ADMIN, lambda m: m.loan_order(on_loan=True)),
        P("/orders/{id}/return", ADMIN, lambda m: m.loan_order(on_loan=True, stock=True), variant="warehouse stock"),
        P("/orders/{id}/cancel", ADMIN, lambda m: m.loan_order(), {"reason": "会议取消"}),
        P("/orders/{id}/approve-transfer", FINANCE, lambda m: m.allot()),
        P("/orders/{id}/reject-transfer", FINANCE, lambda m: m.allot(), {"reason": "不符合调拨条件"}),
        P("/transfers", OWNER_OR_ADMIN, lambda m: {"assets": m.assets()},
          lambda m, p: {"asset": [str(i) for i in p["assets"]], "to_unit": str(w(m).health.id), "note": "调拨"}),
        P("/transfers", ADMIN, lambda m: {"assets": m.stock()},
          lambda m, p: {"asset": [str(i) for i in p["assets"]], "to_unit": str(w(m).health.id)},
          variant="warehouse stock"),
        P("/damages/{id}/settle", ADMIN, lambda m: m.damage(), {"note": "已转账"}),
        P("/admin/units", SYSADMIN, data=lambda m, p: {k: str(v) for k, v in _unit(m).items()}),
        P("/admin/users", SYSADMIN, data=lambda m, p: {
            "username": f"new{m.n()}", "role": "unit_staff", "unit": str(w(m).edu.id), "password": "long-enough-1"}),
        P("/admin/users/{id}", SYSADMIN, lambda m: m.target_user(), {"role": "unit_manager", "is_active": "1"}),
        P("/admin/categories/import", CATALOGUE, files=_catalogue),
        P("/admin/standards", CATALOGUE, data=lambda m, p: {"category": str(w(m).projector.id), "quantity_share": "60",
                                                            "price_cap": str(7000 + m.n()), "min_life_years": "6"}),
        P("/admin/standards/import", CATALOGUE, files=_standards),
        P("/admin/standards/{id}", CATALOGUE, _standard, lambda m, p: {"price_cap": str(800 + m.n()),
                                                                      "min_life_years": "15"}),
        P("/admin/units/{id}/staffing", SYSADMIN, lambda m: {"id": m.w.health.id},
          lambda m, p: {"staff_count": str(20 + m.n()), "confidential_network": "1"}),
        P("/admin/categories/{id}", CATALOGUE, lambda m: {"id": m.w.chair.id},
          lambda m, p: {"transport_rate": "0.75", "reference_price": str(300 + m.n())}),
        P("/admin/vendors", CATALOGUE, data=lambda m, p: {"name": f"租赁公司{m.n()}", "lat": "31.5", "lng": "104.6"}),
        P("/admin/offers", CATALOGUE, data=lambda m, p: {
            "vendor": str(w(m).vendor.id), "category": str(w(m).projector.id), "price_per_unit_day": "80"}),
        P("/admin/rules", SYSADMIN, data=lambda m, p: {"action": "loan", "min_value": str(100000 + m.n()),
                                                         "step1": "unit_manager", "step2": "finance"}),
        P("/admin/rules/{id}", SYSADMIN, lambda m: m.rule(), lambda m, p: {
            "action": "disposal", "min_value": str(300000 + m.n()), "step1": "warehouse_admin", "step2": "finance"}),
        P("/admin/rules/{id}/delete", SYSADMIN, lambda m: m.rule()),
        P("/admin/synonyms", CATALOGUE, data=lambda m, p: {"synonyms": f"天幕{m.n()} => 帐篷\n"}),
        P("/imports", OWNER_OR_ADMIN, data=lambda m, p: {"unit": str(w(m).edu.id)}, files=_ledger, background=True),
        P("/disposals", OWNER_OR_ADMIN, lambda m: {"assets": m.assets(status="idle")},
          lambda m, p: {"asset": [str(i) for i in p["assets"]], "method": "sale", "reason": "超过使用年限"}),
        P("/disposals", ADMIN, lambda m: {"assets": m.stock()},
          lambda m, p: {"asset": [str(i) for i in p["assets"]], "method": "sale", "reason": "库存积压"},
          variant="warehouse stock"),
        P("/disposals/{id}/{step}", ADMIN, lambda m: m.stock_disposal(),
          {"value": "100", "appraiser": "锦川正信资产评估有限公司"}, url="/disposals/{id}/appraise",
          variant="appraise, warehouse stock"),
        P("/disposals/{id}/{step}", ADMIN, lambda m: m.stock_disposal(), url="/disposals/{id}/cancel",
          variant="cancel, warehouse stock"),
        P("/evaluation/weights", frozenset({"admin", "sysadmin"}), data=lambda m, p: {
            k: str(v) for k, v in _weights(m).items()}),
        P("/purchasing/batches", ADMIN, lambda m: m.batch(), lambda m, p: {"category": str(w(m).chair.id)}),
        P("/purchasing/batches/{id}/purchase", ADMIN, lambda m: m.batch("planned"),
          {"supplier": "某家具公司", "unit_price": "280"}),
        P("/purchasing/batches/{id}/receive", ADMIN, lambda m: m.batch("purchased"),
          lambda m, p: {"warehouse": str(w(m).warehouse.id), "name": "会议椅"}),
        P("/counts", OWNER_OR_ADMIN, data=lambda m, p: {"scope": f"u:{w(m).edu.id}"}, variant="unit"),
        P("/counts", ADMIN, data=lambda m, p: {"scope": f"w:{w(m).warehouse.id}"}, variant="warehouse"),
        # scanner reads are observations kept on the count's own lines, not decisions: no event each
        P("/counts/{id}/scan", OWNER_OR_ADMIN, lambda m: m.count(), lambda m, p: {"tags": f"UNKNOWN-{m.n()}"},
          variant="unit", logged=False),
        P("/counts/{id}/scan", ADMIN, lambda m: m.count("warehouse"), lambda m, p: {"tags": f"UNKNOWN-{m.n()}"},
          variant="warehouse", logged=False),
        P("/counts/{id}/close", OWNER_OR_ADMIN, lambda m: m.count(all_seen=True)),
        P("/counts/{id}/settle", OWNER_OR_ADMIN, lambda m: m.count(stray=True),
          {"scope": "unexpected", "resolution": "accepted"}),
        P("/counts/lines/{id}/resolve", OWNER_OR_ADMIN, lambda m: {"id": m.count(stray=True)["line"]},
          {"resolution": "accepted"}),
        P("/notices/read", SIGNED, lambda m: m.notice(), lambda m, p: {"id": str(p["id"])},
          noop=SIGNED - {"staff_edu"}, logged=False),
        P("/wishes", UNIT_PEOPLE, data={"title": "想要投影仪", "keywords": "投影仪", "public": "1"}, logged=False),
        P("/settings/notify", SIGNED, data={"email": "me@example.gov.cn", "by_email": "1"}),
        P("/wishes/{id}/close", OWN_UNIT, lambda m: m.wish(), logged=False),
        P("/proposals/run", ADMIN, lambda m: m.approved_demand(), {"policy": "tiered", "time_limit": "10"}),
        P("/proposals/{id}/edit", ADMIN, lambda m: m.proposal(),
          lambda m, p: {f"q|{p['request']}|{p['source']}": "0"}),
        P("/proposals/{id}/accept", ADMIN, lambda m: m.proposal()),
        P("/proposals/{id}/discard", ADMIN, lambda m: m.proposal()),
    ]
    for step, allowed, upto, method, fields in DISPOSAL_STEPS:
        entries.append(P("/disposals/{id}/{step}", allowed, _disposal(method, upto), fields, url=f"/disposals/{{id}}/{step}",
                         variant=step, files=_report if step == "appraise" else None))
    return entries


def _disposal(method: str, upto: str) -> Callable[[Make], dict[str, Any]]:
    return lambda m: m.disposal(method, upto)


def _apis() -> list[Entry]:
    w = lambda m: m.w  # noqa: E731
    entries = [
        A("/api/session", EVERYONE, data={"username": "staff_edu", "password": PASSWORD}, logged=False),
        A("/api/session", SIGNED, method="DELETE", logged=False, fresh_token=True),
        A("/api/requests", UNIT_PEOPLE, data=lambda m, p: {"title": "座谈会", "purpose": "大型会议", "lines": [
            {"category_id": w(m).chair.id, "quantity": 3, "start_date": _start(m), "end_date": _end(m)}]}),
        A("/api/requests/{id}/approve", ADMIN, lambda m: {"id": m.request()[0]}),
        A("/api/requests/{id}/reject", ADMIN, lambda m: {"id": m.request()[0]}, {"reason": "本月会议用椅已足"}),
        A("/api/requests/{id}/withdraw", OWN_UNIT, lambda m: {"id": m.request()[0]}),
        A("/api/acquisitions", UNIT_PEOPLE, data=lambda m, p: {
            "category_id": w(m).chair.id, "quantity": 2, "unit_price": "300", "reason": "新增会议室"}),
        A("/api/acquisitions/{id}/accept", OWN_UNIT | ADMIN, lambda m: m.acquisition()),
        A("/api/acquisitions/{id}/decline", OWN_UNIT | ADMIN, lambda m: m.acquisition(), {"reason": "型号不符"}),
        A("/api/acquisitions/{id}/look-again", OWN_UNIT | ADMIN, lambda m: m.acquisition()),
        A("/api/acquisitions/{id}/exception", FINANCE, lambda m: m.acquisition("over_cap"),
          {"decision": "approve", "note": "同意"}),
        A("/api/listings", OWNER_OR_ADMIN, lambda m: {"assets": m.assets()},
          lambda m, p: {"asset_ids": p["assets"], "title": "闲置会议椅", "mode": "both"}),
        A("/api/listings/{id}/withdraw", OWNER_OR_ADMIN, lambda m: {"id": m.listing()}, {"reason": "自用"}),
        A("/api/listings", ADMIN, lambda m: {"assets": m.stock()}, lambda m, p: {"asset_ids": p["assets"]},
          variant="warehouse stock"),
        A("/api/listings/{id}/withdraw", ADMIN, lambda m: {"id": m.stock_listing()}, {"reason": "盘整"},
          variant="warehouse stock"),
        A("/api/warehouse/receive", ADMIN, data=lambda m, p: {
            "warehouse_id": w(m).warehouse.id, "category_id": w(m).chair.id, "name": "会议椅", "quantity": 2,
            "original_value": "350"}),
        A("/api/orders/{id}/hand-out", HOLDER_OR_ADMIN, lambda m: m.loan_order(), lambda m, p: {"tags": p["tags"]}),
        A("/api/orders/{id}/hand-out", ADMIN, lambda m: m.loan_order(stock=True), lambda m, p: {"tags": p["tags"]},
          variant="warehouse stock"),
        A("/api/orders/{id}/return", HOLDER_OR_ADMIN, lambda m: m.loan_order(on_loan=True),
          lambda m, p: {"inspections": [{"asset_id": a, "condition": "良好"} for a in p["assets"]]}),
        A("/api/orders/{id}/return", ADMIN, lambda m: m.loan_order(on_loan=True, stock=True),
          lambda m, p: {"inspections": [{"asset_id": a, "condition": c} for a, c in zip(p["assets"], p["conditions"],
                                                                                       strict=True)]},
          variant="warehouse stock"),
        A("/api/orders/{id}/cancel", ADMIN, lambda m: m.loan_order(), {"reason": "会议取消"}),
        A("/api/damages/{id}/settle", ADMIN, lambda m: m.damage(), {"note": "已转账"}),
        A("/api/transfers", OWNER_OR_ADMIN, lambda m: {"assets": m.assets()},
          lambda m, p: {"asset_ids": p["assets"], "to_unit_id": w(m).health.id}),
        A("/api/transfers", ADMIN, lambda m: {"assets": m.stock()},
          lambda m, p: {"asset_ids": p["assets"], "to_unit_id": w(m).health.id}, variant="warehouse stock"),
        A("/api/transfers/{id}/approve", FINANCE, lambda m: m.allot()),
        A("/api/transfers/{id}/reject", FINANCE, lambda m: m.allot(), {"reason": "不符合调拨条件"}),
        A("/api/units", SYSADMIN, data=lambda m, p: _unit(m)),
        A("/api/users", SYSADMIN, data=lambda m, p: {"username": f"new{m.n()}", "role": "unit_staff",
                                                        "password": "long-enough-1", "unit_id": w(m).edu.id}),
        A("/api/users/{id}", SYSADMIN, lambda m: m.target_user(), {"role": "unit_manager"}),
        A("/api/categories/{id}", CATALOGUE, lambda m: {"id": m.w.chair.id},
          lambda m, p: {"transport_rate": "0.75", "reference_price": str(300 + m.n())}),
        A("/api/vendors", CATALOGUE, data=lambda m, p: {"name": f"租赁公司{m.n()}", "lat": 31.5, "lng": 104.6}),
        A("/api/standards", CATALOGUE, data=lambda m, p: {"category_id": w(m).projector.id, "price_cap": str(7000 + m.n()),
                                                           "quantity_share": 60, "min_life_years": 6}),
        A("/api/units/{id}/staffing", SYSADMIN, lambda m: {"id": m.w.health.id},
          lambda m, p: {"staff_count": 20 + m.n(), "confidential_network": True}),
        A("/api/offers", CATALOGUE, data=lambda m, p: {"vendor_id": w(m).vendor.id, "category_id": w(m).projector.id,
                                                          "price_per_unit_day": "80"}),
        A("/api/rules", SYSADMIN, data=lambda m, p: {"action": "loan", "min_value": str(100000 + m.n()),
                                                        "steps": ["unit_manager", "finance"]}),
        A("/api/rules/{id}", SYSADMIN, lambda m: m.rule(), lambda m, p: {
            "action": "disposal", "min_value": str(300000 + m.n()), "steps": ["finance"]}, method="PUT"),
        A("/api/rules/{id}", SYSADMIN, lambda m: m.rule(), method="DELETE"),
        A("/api/disposals", OWNER_OR_ADMIN, lambda m: {"assets": m.assets(status="idle")},
          lambda m, p: {"asset_ids": p["assets"], "method": "sale", "reason": "超过使用年限"}),
        A("/api/disposals", ADMIN, lambda m: {"assets": m.stock()},
          lambda m, p: {"asset_ids": p["assets"], "method": "sale", "reason": "库存积压"}, variant="warehouse stock"),
        A("/api/disposals/{id}/step", ADMIN, lambda m: m.stock_disposal(),
          {"step": "appraise", "value": "100", "appraiser": "锦川正信资产评估有限公司"},
          variant="appraise, warehouse stock"),
        A("/api/disposals/{id}/step", ADMIN, lambda m: m.stock_disposal(), {"step": "cancel"},
          variant="cancel, warehouse stock"),
        A("/api/evaluation/weights", frozenset({"admin", "sysadmin"}), data=lambda m, p: _weights(m)),
        A("/api/purchasing/batches", ADMIN, lambda m: m.batch(), lambda m, p: {"category_id": w(m).chair.id}),
        A("/api/purchasing/batches/{id}/purchase", ADMIN, lambda m: m.batch("planned"),
          {"supplier": "某家具公司", "unit_price": "280"}),
        A("/api/purchasing/batches/{id}/receive", ADMIN, lambda m: m.batch("purchased"),
          lambda m, p: {"warehouse_id": w(m).warehouse.id, "name": "会议椅"}),
        A("/api/counts", OWNER_OR_ADMIN, data=lambda m, p: {"unit_id": w(m).edu.id}, variant="unit"),
        A("/api/counts", ADMIN, data=lambda m, p: {"warehouse_id": w(m).warehouse.id}, variant="warehouse"),
        A("/api/counts/{id}/reads", OWNER_OR_ADMIN, lambda m: m.count(), lambda m, p: {"reads": [f"UNKNOWN-{m.n()}"]},
          variant="unit", logged=False),
        A("/api/counts/{id}/reads", ADMIN, lambda m: m.count("warehouse"),
          lambda m, p: {"reads": [f"UNKNOWN-{m.n()}"]}, variant="warehouse", logged=False),
        A("/api/counts/{id}/close", OWNER_OR_ADMIN, lambda m: m.count(all_seen=True)),
        A("/api/counts/{id}/settle", OWNER_OR_ADMIN, lambda m: m.count(stray=True),
          {"kind": "unexpected", "resolution": "accepted"}),
        # a camera frame read for codes: anyone signed in; it changes nothing (a blank frame has no code)
        A("/api/scan", SIGNED, url="/api/scan?w=64&h=64", content=lambda m, p: bytes(64 * 64), noop=SIGNED,
          logged=False),
        A("/api/imports", OWNER_OR_ADMIN, lambda m: {"unit": w(m).edu.id}, url="/api/imports?unit={unit}",
          content=lambda m, p: _ledger(m, p)["file"][1], background=True),
        A("/api/counts/lines/{id}/resolve", OWNER_OR_ADMIN, lambda m: {"id": m.count(stray=True)["line"]},
          {"resolution": "accepted"}),
        A("/api/notices/read", SIGNED, lambda m: m.notice(), lambda m, p: {"id": p["id"]},
          noop=SIGNED - {"staff_edu"}, logged=False),
        A("/api/wishes", UNIT_PEOPLE, data={"title": "想要投影仪", "keywords": "投影仪", "public": True}, logged=False),
        A("/api/me/notify", SIGNED, data={"email": "me@example.gov.cn", "by_email": True, "by_chat": False}),
        A("/api/wishes/{id}/close", OWN_UNIT, lambda m: m.wish(), logged=False),
        A("/api/proposals", ADMIN, lambda m: m.approved_demand(), {"policy": "tiered", "time_limit": 10}),
        A("/api/proposals/{id}/edit", ADMIN, lambda m: m.proposal(),
          lambda m, p: {"changes": [{"request": p["request"], "source": p["source"], "quantity": 0}]}),
        A("/api/proposals/{id}/accept", ADMIN, lambda m: m.proposal()),
        A("/api/proposals/{id}/discard", ADMIN, lambda m: m.proposal()),
    ]
    for step, allowed, upto, method, fields in DISPOSAL_STEPS:
        entries.append(A("/api/disposals/{id}/step", allowed, _disposal(method, upto), {"step": step} | fields,
                         variant=step))
    return entries


ENTRIES: list[Entry] = _pages() + _apis()


def _state_changing_routes() -> set[tuple[str, str]]:
    from starlette.routing import Route

    from web.app import routes

    out = set()
    for r in routes():
        if isinstance(r, Route):
            for method in (r.methods or set()) & UNSAFE:
                out.add((method, r.path))
    return out


# --- the environment: one signed-in client per person, a token per person, the world rebuilt per entry ----------


def add_bureau_manager(db, world) -> None:  # noqa: ANN001
    from factories import add_user

    add_user(db, "mgr_bureau", "unit_manager", world.bureau)
    db.commit()


@dataclass
class Env:
    base: str
    url: str
    pages: dict[str, httpx.Client]
    api: httpx.Client
    tokens: dict[str, str] = field(default_factory=dict)
    uids: dict[str, int] = field(default_factory=dict)
    world: Any = None
    group: str | None = None
    make: Make | None = None
    stats: dict[str, int] = field(default_factory=lambda: {"cells": 0, "refusals": 0, "allowed": 0, "noop": 0,
                                                            "csrf": 0})
    routes_checked: set[tuple[str, str]] = field(default_factory=set)
    entries_checked: set[str] = field(default_factory=set)
    actors_checked: set[str] = field(default_factory=set)

    def rebuild(self) -> None:
        """Empty the database, build the small world again, give everyone a fresh API token."""
        from market.accounts import issue_token
        from market.pool.index import reset_pool_index, synonyms_path

        reset_pool_index()
        synonyms_path().unlink(missing_ok=True)
        empty(self.url)
        with session_scope(write=True) as db:
            self.world = build_world(db)
            add_bureau_manager(db, self.world)
            for key in SIGNED:
                user = Make.who(db, key)
                # the signed session cookies name page sessions kept on the server: the rebuilt world gives the
                # same ids, and each page client's session is put back (signing in again costs argon2 each time)
                assert self.uids.setdefault(key, user.id) == user.id
                self.tokens[key] = issue_token(db, user)
                restore_page_session(db, user, self.pages[key])
            db.commit()
        self.make = Make(self)

    def ensure(self, entry: Entry) -> Make:
        if self.group != entry.key:
            self.rebuild()
            self.group = entry.key
        return self.make


@pytest.fixture(scope="module")
def env(live_server: str, database_url: str, request: pytest.FixtureRequest):
    from market.pool.index import reset_pool_index

    reset_pool_index()
    empty(database_url)
    with session_scope(write=True) as db:
        world = build_world(db)
        add_bureau_manager(db, world)
        uids = {key: Make.who(db, key).id for key in SIGNED}
    clients = {}
    for key in ACTORS:
        c = httpx.Client(base_url=live_server, follow_redirects=False, timeout=60)
        page = c.get("/login")
        if key != "anonymous":
            r = c.post("/login", data={"username": key, "password": PASSWORD, "csrf_token": csrf(page.text),
                                       "next": "/"})
            assert r.status_code == 303, r.text
            page = c.get("/notices")  # a page with a form: the session's CSRF token is made
        c._gwc_csrf = csrf(page.text)  # type: ignore[attr-defined]
        clients[key] = c
    e = Env(live_server, database_url, clients, httpx.Client(base_url=live_server, follow_redirects=False, timeout=60),
            uids=uids, world=world)
    yield e
    for c in [*clients.values(), e.api]:
        c.close()
    request.config.pluginmanager.register(_Summary(e), "gwc-permission-matrix-summary")


class _Summary:
    """Prints the matrix's figures in pytest's closing summary (output during a fixture's teardown is captured)."""

    def __init__(self, env: Env) -> None:
        self.env = env

    def pytest_terminal_summary(self, terminalreporter) -> None:  # noqa: ANN001
        e, s = self.env, self.env.stats
        if not s["cells"]:
            return
        terminalreporter.section("permission matrix")
        for line in [
            f"{len(e.actors_checked)} actors × {len(e.routes_checked)} state-changing routes "
            f"({len(e.entries_checked)} entries with variants): {s['cells']} cells checked",
            f"refusals verified (403 with a Chinese message / sign-in page / 401, nothing written): {s['refusals']}",
            f"allowed and done: {s['allowed']}; allowed with nothing of theirs to change: {s['noop']}",
            f"CSRF refusals verified (one per entry): {s['csrf']}",
        ]:
            terminalreporter.write_line(line)


def _csrf_of(client: httpx.Client) -> str:
    """The CSRF token of this client's session (kept in the signed cookie, read from a page at sign-in)."""
    return client._gwc_csrf  # type: ignore[attr-defined]


def dump(url: str) -> dict[str, Any]:
    """Every row of every table, in primary-key order (on PostgreSQL as JSON text, in one round trip)."""
    engine = get_engine(url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            parts = []
            for t in metadata.sorted_tables:
                order = ", ".join(f'x."{c.name}"' for c in t.primary_key.columns)
                parts.append(f"SELECT '{t.name}', (SELECT json_agg(x ORDER BY {order})::text FROM \"{t.name}\" x)")
            return dict(conn.exec_driver_sql(" UNION ALL ".join(parts)).all())
        return {t.name: [tuple(r) for r in conn.execute(t.select().order_by(*t.primary_key.columns)).all()]
                for t in metadata.sorted_tables}


def empty(url: str) -> None:
    """``empty_database``, faster on PostgreSQL for these few rows: DELETE and restart the ids (TRUNCATE of every
    table takes over half a second, and the world is rebuilt once per entry)."""
    engine = get_engine(url)
    if engine.dialect.name != "postgresql":
        empty_database(url)
        return
    tables = list(reversed(metadata.sorted_tables))
    sql = [f'DELETE FROM "{t.name}"' for t in tables]
    sql += [f"SELECT setval(pg_get_serial_sequence('\"{t.name}\"', '{c.name}'), 1, false)"
            for t in tables for c in t.primary_key.columns if c.autoincrement is True
            or (c.autoincrement == "auto" and len(t.primary_key.columns) == 1 and c.type.python_type is int)]
    with engine.begin() as conn:
        conn.exec_driver_sql("; ".join(sql))


def data_files() -> dict[str, int]:
    from market.infra.config import settings

    root = settings().data_dir
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def changed_tables(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    return [t for t in before if before[t] != after[t]]


def events(url: str) -> int:
    with session_scope(url) as db:
        return db.exec(select(func.count()).select_from(Event)).one()


def _send(env: Env, entry: Entry, actor: str, params: dict[str, Any], *, csrf_ok: bool = True,
          via_cookie: bool = False) -> httpx.Response:
    m = env.make
    path = (entry.url or entry.path).format(**params)
    data = entry.data(m, params) if entry.data else None
    files = entry.files(m, params) if entry.files else None
    if entry.api:
        body = {"content": entry.content(m, params)} if entry.content else {"json": data}
        if via_cookie:  # the session cookie of the page client, no bearer token, no X-CSRF-Token header
            return env.pages[actor].request(entry.method, path, **body)
        headers = {}
        if actor != "anonymous":
            token = env.tokens[actor]
            if entry.fresh_token:
                from market.accounts import issue_token

                with session_scope(write=True) as db:
                    token = issue_token(db, Make.who(db, actor))
            headers["Authorization"] = f"Bearer {token}"
        env.api.cookies.clear()
        return env.api.request(entry.method, path, headers=headers, **body)
    client = env.pages[actor]
    form = dict(data or {})
    form["csrf_token"] = _csrf_of(client) if csrf_ok else "not-the-token"
    if entry.clone:
        with httpx.Client(base_url=env.base, cookies=client.cookies, follow_redirects=False, timeout=60) as copy:
            return copy.post(path, data=form, files=files)
    return client.post(path, data=form, files=files)


def _settle(env: Env, entry: Entry, r: httpx.Response) -> None:
    """Wait for a background import to finish before looking at the database."""
    if not entry.background:
        return
    from web import jobs

    job = r.json()["job"] if entry.api else r.headers["location"].rsplit("/", 1)[-1]
    deadline = time.monotonic() + 60
    while (state := jobs.read(job)) is not None and state["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, "the import job did not finish"
        time.sleep(0.05)
    assert state is not None and state["status"] == "done" and state["result"]["ok"], (state, state and state.get("result"))


def _alert(html: str) -> str:
    found = re.search(r'<p class="alert" role="alert">(.*?)</p>', html, re.S)
    return found.group(1).strip() if found else ""


def _describe(r: httpx.Response) -> str:
    body = r.text
    return f"{r.status_code} {r.headers.get('location', '')} {_alert(body) or body[:300]}"


def _check_refusal(entry: Entry, actor: str, r: httpx.Response) -> None:
    if entry.api:
        want, code = (401, "unauthenticated") if actor == "anonymous" else (403, "forbidden")
        assert r.status_code == want, f"{entry.key} as {actor}: expected {want}, got {_describe(r)}"
        err = r.json()["error"]
        assert err["code"] == code and CJK.search(err["message"]), err
    elif actor == "anonymous":
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), (
            f"{entry.key} as nobody: expected the sign-in page, got {_describe(r)}")
    else:
        assert r.status_code == 403, f"{entry.key} as {actor}: expected 403, got {_describe(r)}"
        message = _alert(r.text)
        assert CJK.search(message) and CSRF_PAGE_MESSAGE not in message, message


CELLS = [(e, a) for e in ENTRIES for a in ACTORS]


def test_every_state_changing_route_has_an_entry():
    declared = _state_changing_routes()
    covered = {e.route for e in ENTRIES}
    missing = sorted(declared - covered)
    stale = sorted(covered - declared)
    assert not missing, "\n".join(f"route {m} {p} has no permission entry in tests/test_permissions.py"
                                  for m, p in missing)
    assert not stale, f"entries for routes the app no longer has: {stale}"
    assert len({e.key for e in ENTRIES}) == len(ENTRIES), "two entries with the same key"


def test_the_api_table_is_the_openapi_table():
    """The API half of the route table is the one the OpenAPI schema documents."""
    from web.api.registry import ENDPOINTS, openapi

    spec = openapi()["paths"]
    documented = {(m.upper(), p) for p, ops in spec.items() for m in ops}
    assert {(e.method, e.path) for e in ENDPOINTS} == documented
    assert {r for r in documented if r[0] in UNSAFE} == {r for r in _state_changing_routes() if r[1].startswith("/api/")}


@pytest.mark.parametrize(("entry", "actor"), CELLS, ids=[f"{e.key}-{a}" for e, a in CELLS])
def test_permission(env: Env, entry: Entry, actor: str):
    m = env.ensure(entry)
    params = entry.setup(m) if entry.setup else {}
    before, files_before, events_before = dump(env.url), data_files(), events(env.url)
    r = _send(env, entry, actor, params)
    allowed = actor in entry.allowed
    assert r.status_code < 500, f"{entry.key} as {actor}: server error {_describe(r)}"
    if allowed:
        assert r.status_code < 400, f"{entry.key} as {actor} (allowed) was refused: {_describe(r)}"
        _settle(env, entry, r)
        after = dump(env.url)
        if actor in entry.noop:
            assert not changed_tables(before, after), f"{entry.key} as {actor} changed {changed_tables(before, after)}"
            env.stats["noop"] += 1
        else:
            assert changed_tables(before, after), f"{entry.key} as {actor} answered {r.status_code} but changed nothing"
            if entry.logged:
                assert events(env.url) > events_before, f"{entry.key} as {actor}: no event logged"
            env.stats["allowed"] += 1
    else:
        _check_refusal(entry, actor, r)
        after = dump(env.url)
        assert not changed_tables(before, after), (
            f"{entry.key} as {actor} was refused but changed {changed_tables(before, after)}")
        assert data_files() == files_before, f"{entry.key} as {actor} was refused but left files behind"
        env.stats["refusals"] += 1
    env.stats["cells"] += 1
    env.routes_checked.add(entry.route)
    env.entries_checked.add(entry.key)
    env.actors_checked.add(actor)


CSRF_CELLS = [e for e in ENTRIES if not (e.api and e.path == "/api/session" and e.method == "POST")]


@pytest.mark.parametrize("entry", CSRF_CELLS, ids=[e.key for e in CSRF_CELLS])
def test_csrf_refused(env: Env, entry: Entry):
    """An allowed person's session without a valid CSRF token: refused, nothing written."""
    actor = next(a for a in ["admin", "sysadmin", "finance", "mgr_edu", "staff_edu", "anonymous"] if a in entry.allowed)
    if entry.api and actor == "anonymous":
        pytest.skip("open to anyone: acts as nobody, no session to forge")
    m = env.ensure(entry)
    params = entry.setup(m) if entry.setup else {}
    before, files_before = dump(env.url), data_files()
    r = _send(env, entry, actor, params, csrf_ok=False, via_cookie=True)
    assert r.status_code == 403, f"{entry.key} as {actor} without a CSRF token: {_describe(r)}"
    if entry.api:
        assert r.json()["error"]["code"] == "csrf"
    else:
        assert "CSRF" in _alert(r.text)
    assert not changed_tables(before, dump(env.url)) and data_files() == files_before
    env.stats["csrf"] += 1


# --- beside the matrix: where a signed-in browser is sent, the cookie behind HTTPS, password hashes, disabled people --


OFF_SITE = ["//evil.example/x", "/\\evil.example/x", "/\\/evil.example", "/\t/evil.example", "https://evil.example"]


def _lands_on(base: str, location: str) -> str:
    """The host a browser goes to for this Location (browsers read ``\\`` as ``/`` and drop tabs and newlines)."""
    from urllib.parse import urljoin, urlsplit

    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    return urlsplit(urljoin(base + "/", cleaned)).netloc


@pytest.mark.parametrize("target", OFF_SITE, ids=["//", "/backslash", "/backslash/", "/tab/", "absolute"])
def test_sign_in_and_notices_never_send_the_browser_off_site(env: Env, target: str):
    host = urlsplit(env.base).netloc
    with httpx.Client(base_url=env.base, follow_redirects=False, timeout=60) as c:
        page = c.get("/login", params={"next": target})
        r = c.post("/login", data={"username": "staff_edu", "password": PASSWORD, "csrf_token": csrf(page.text),
                                   "next": target})
        assert r.status_code == 303 and _lands_on(env.base, r.headers["location"]) == host, r.headers["location"]
        token = csrf(c.get("/notices").text)
        r = c.post("/notices/read", data={"csrf_token": token, "next": target})
        assert r.status_code == 303 and _lands_on(env.base, r.headers["location"]) == host, r.headers["location"]


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_session_cookie_is_secure_behind_https(env: Env, monkeypatch: pytest.MonkeyPatch):
    """With GONGWUCANG_HTTPS set (behind an HTTPS reverse proxy) the session cookie is Secure, HttpOnly, SameSite."""
    from starlette.testclient import TestClient

    from market.infra.config import settings
    from web.app import create_app

    monkeypatch.setenv("GONGWUCANG_HTTPS", "1")
    settings.cache_clear()
    try:
        client = TestClient(create_app(), base_url="https://gwc.example", follow_redirects=False)
        page = client.get("/login")
        r = client.post("/login", data={"username": "staff_edu", "password": PASSWORD, "csrf_token": csrf(page.text),
                                        "next": "/"})
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "gwc_session=" in cookie and "; secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    finally:
        monkeypatch.delenv("GONGWUCANG_HTTPS")
        settings.cache_clear()
    r = httpx.post(f"{env.base}/login", data={"username": "staff_edu", "password": PASSWORD,
                                              "csrf_token": "x"})  # plain HTTP in tests: no Secure flag expected
    page = httpx.get(f"{env.base}/login")
    assert "secure" not in page.headers.get("set-cookie", "").lower() and r.status_code == 403


def test_passwords_are_kept_as_argon2id_hashes(env: Env):
    from market.accounts import create_user, verify_password

    with session_scope(write=True) as db:
        user = create_user(db, None, f"hash{time.monotonic_ns()}", "unit_staff", "long-enough-9", env.world.edu.id)
        assert user.password_hash.startswith("$argon2id$") and "long-enough-9" not in user.password_hash
        assert verify_password(user.password_hash, "long-enough-9")
        assert not verify_password(user.password_hash, "long-enough-8")


def test_a_disabled_account_is_refused_at_once(env: Env):
    """Signed-in pages and API tokens stop working the moment the system administrator disables the account."""
    from market import accounts as admin

    env.ensure(Entry("POST", "/requests/new", UNIT_PEOPLE, variant="disabled account"))
    with session_scope(write=True) as db:
        admin.update_user(db, Make.who(db, "sysadmin"), env.uids["staff_edu"], is_active=False)
    env.group = None  # the next entry rebuilds the world with the account enabled
    before = dump(env.url)
    client = env.pages["staff_edu"]
    r = client.post("/requests/new", data={"csrf_token": _csrf_of(client), "title": "座谈会"})
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = env.api.post("/api/requests", headers={"Authorization": f"Bearer {env.tokens['staff_edu']}"},
                     json={"title": "座谈会", "lines": []})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert not changed_tables(before, dump(env.url))


@pytest.mark.parametrize("actor", ["admin", "finance"])
def test_a_forged_proposal_edit_is_a_clear_refusal(env: Env, actor: str):
    """A quantity field named without its source (``q|R1``) is a 4xx with a message, not a server error."""
    m = env.ensure(Entry("POST", "/proposals/{id}/edit", ADMIN, variant="forged field"))
    prop = m.proposal()
    before = dump(env.url)
    client = env.pages[actor]
    r = client.post(f"/proposals/{prop['id']}/edit", data={"csrf_token": _csrf_of(client), f"q|{prop['request']}": "0"})
    assert 400 <= r.status_code < 500 and CJK.search(_alert(r.text)), _describe(r)
    assert not changed_tables(before, dump(env.url))
