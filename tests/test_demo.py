"""The demo city: counts in range, coherent pool, deterministic, accounts that work, work for the admin."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from conftest import empty_database
from sqlalchemy import func, select

from market.demo import DEMO_ACCOUNTS, build_demo
from market.infra.db import session_scope
from market.models import Asset, DamageRecord, Event, Order, PoolListing, Request
from market.signin import authenticate
from search import SearchQuery
from tests.relevance_suite import CASES, KINDS, Case, brand, cat, evaluate
from tests.test_search_contract import BACKENDS, _drop, _open

TODAY = date(2026, 11, 23)

# One xdist worker runs this module: its module-scoped world is built once (``--dist loadgroup``).
pytestmark = pytest.mark.xdist_group("demo")


def _fingerprint(url: str) -> list[tuple]:
    with session_scope(url) as db:
        return [tuple(r) for r in db.execute(
            select(Asset.tag, Asset.name, Asset.brand, Asset.model, Asset.original_value, Asset.status,
                   Asset.listing_id).order_by(Asset.id))]


@pytest.fixture(scope="module")
def demo(database_url: str):
    empty_database(database_url)
    with session_scope(database_url, write=True) as db:
        summary = build_demo(db, seed=2026, today=TODAY)
    yield database_url, summary, _fingerprint(database_url)
    empty_database(database_url)


def test_counts_in_expected_ranges(demo):
    _, s, _ = demo
    assert 55 <= s.units <= 65 and s.warehouses == 2 and 40 <= s.categories <= 60
    assert 7000 <= s.assets <= 9500
    assert s.listings > 100 and 8 <= s.vendors <= 12 and s.offers > 30
    assert s.requests >= 45 and s.orders > 100 and s.events > s.assets


def test_pool_is_coherent_with_the_ledger(demo):
    url, _, _ = demo
    with session_scope(url) as db:
        assert db.execute(select(func.count()).select_from(Asset).where(
            Asset.confidential.is_(True), Asset.listing_id.is_not(None))).scalar_one() == 0
        assert db.execute(select(func.count()).select_from(Asset).where(Asset.confidential.is_(True))).scalar_one() > 0
        with_items = select(Asset.listing_id).where(Asset.listing_id.is_not(None))
        assert db.execute(select(func.count()).select_from(PoolListing).where(
            PoolListing.status == "active", PoolListing.id.not_in(with_items))).scalar_one() == 0
        bad = db.execute(select(func.count()).select_from(Asset).where(
            Asset.listing_id.is_not(None), Asset.status.not_in(["listed", "reserved", "on_loan"]))).scalar_one()
        assert bad == 0
        logged = select(Event.entity_id).where(Event.entity == "asset")
        assert db.execute(select(func.count()).select_from(Asset).where(Asset.id.not_in(logged))).scalar_one() == 0


def test_admin_has_work_and_history_has_damage(demo):
    url, _, _ = demo
    with session_scope(url) as db:
        statuses = dict(db.execute(select(Request.status, func.count()).group_by(Request.status)).all())
        assert statuses.get("submitted", 0) > 0 and statuses.get("approved", 0) > 0
        assert db.execute(select(func.count()).select_from(Order).where(Order.status == "returned")).scalar_one() > 0
        causes = {c for (c,) in db.execute(select(DamageRecord.cause))}
        assert causes == {"user", "wear"}
        assert db.execute(select(func.count()).select_from(Order).where(
            Order.kind == "allot", Order.status == "pending")).scalar_one() == 1


def test_staff_counts_caps_and_early_disposals(demo):
    from market import disposal as dsp
    from market import standards
    from market.models import Category, DisposalCase, Unit

    url, _, _ = demo
    with session_scope(url) as db:
        units = list(db.scalars(select(Unit)))
        assert all(u.staff_count >= 12 for u in units)
        assert sum(12 <= u.staff_count <= 180 for u in units) >= len(units) - 3
        assert {u.code for u in units if u.confidential_network} == {"GAJ", "BMJ"}
        desktop = db.scalars(select(Category).where(Category.code == "A02010104")).one()
        over = []
        for u in units:
            cap = standards.quantity_cap(db, u, desktop.id)
            if cap.cap is not None and standards.holdings(db, u, cap.key) > cap.cap:
                over.append(u.code)
        assert 3 <= len(over) <= 6
        refused = db.scalars(select(Event).where(Event.action == dsp.REFUSED_EARLY)).all()
        assert len(refused) >= 2 and all(e.after["min_life_years"] == 6 for e in refused)
        early = db.scalars(select(DisposalCase).where(DisposalCase.status == "early_review")).all()
        assert len(early) == 1 and "检验报告" in early[0].early_reason
        # young enough that a disposal would be refused: plenty of computers and furniture
        young = db.execute(select(func.count()).select_from(Asset).where(
            Asset.purchase_date > date(TODAY.year - 6, TODAY.month, TODAY.day), Asset.status == "in_use")).scalar_one()
        assert young > 100


def test_demo_accounts_sign_in(demo):
    url, _, _ = demo
    with session_scope(url) as db:
        for username, _label, password in DEMO_ACCOUNTS:
            assert authenticate(db, username, password).username == username


def test_same_seed_gives_the_same_city(demo):
    url, summary, first = demo
    empty_database(url)
    with session_scope(url, write=True) as db:
        again = build_demo(db, seed=2026, today=TODAY)
    assert again.assets == summary.assets
    assert _fingerprint(url) == first


def test_a_year_of_proposals_feeds_the_dashboard(demo):
    from market import stats
    from market.models import Proposal, User

    url, _, _ = demo
    with session_scope(url) as db:
        months = {p.accepted_at.strftime("%Y-%m") for p in db.execute(select(Proposal).where(
            Proposal.status == "accepted")).scalars()}
        assert len(months) >= 8  # accepted across the year, not all at build time
        finance = db.execute(select(User).where(User.username == "czj")).scalar_one()
        d = stats.dashboard(db, finance)
        assert len(d.months) >= 8 and d.idle_categories and d.utilisation
        fig = {f.label: f.value for f in d.figures}
        assert fig["节约资金（相对新购）"] != "¥0.00"


# Relevance on the demo city (issue 18): the suite's queries and rules are data (tests/relevance_suite.py); the
# search index of the demo built here once per backend (Meilisearch only when MEILI_URL is set)
@pytest.fixture(scope="module")
def demo_documents(demo):
    from market.pool.documents import all_documents

    url, _, _ = demo
    with session_scope(url) as db:
        return [d for batch in all_documents(db) for d in batch]


@pytest.fixture(scope="module", params=BACKENDS)
def demo_engine(request, demo_documents):
    b = _open(request.param)
    b.index(demo_documents)
    yield request.param, b
    _drop(request.param, b)


def test_relevance_suite_precision_at_5(demo_engine, demo_documents, capsys):
    kind, engine = demo_engine

    def top(q: str, filters: dict[str, str]) -> list[dict]:
        return engine.search(SearchQuery(q=q, per_page=5, **filters)).hits

    report = evaluate(top, demo_documents)
    with capsys.disabled():  # the figures are printed on every run, not only with -s
        print("\n" + report.text(kind))
    assert len(CASES) >= 100 and set(report.by_kind()) == set(KINDS)
    assert report.passed(), report.text(kind)


def test_the_relevance_suite_judges_by_its_rules():
    """The suite's arithmetic: precision@5 over min(5, relevant documents), relevance from the rule, a kind's mean."""
    docs = [{"title": f"T{i}", "category_name": "会议椅" if i < 3 else "沙发", "brand": "震旦", "tier": "idle"}
            for i in range(8)]
    cases = [Case("a", "chairs", cat("会议椅")), Case("b", "brand", brand("震旦")),
             Case("b", "brand rental", brand("震旦") | cat("沙发"), {"tier": "idle"})]
    answers = {"chairs": [docs[0], docs[5], docs[1], docs[2]], "brand": docs[:4], "brand rental": docs[3:8]}
    report = evaluate(lambda q, f: answers[q], docs, cases)
    assert [round(o.precision, 3) for o in report.outcomes] == [0.667, 0.8, 1.0]  # chairs: 2 of the first 3
    assert report.by_kind() == {"a": (1, 2 / 3), "b": (2, 0.9)} and not report.passed()
    with pytest.raises(AssertionError, match="nothing relevant"):
        evaluate(lambda q, f: [], docs, [Case("c", "x", brand("联想"))])


def test_dashboard_charts_on_the_demo_city(demo, browser, live_server):
    """A supervisor opens the dashboard of the demo city in a real browser (screenshot kept)."""
    from conftest import ARTIFACTS

    from market.demo import PASSWORD
    from market.pool.index import reset_pool_index

    reset_pool_index()
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", "czj")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/stats")
    assert page.locator("svg.chart").count() >= 6
    assert page.locator("svg.chart rect.bar").count() >= 30
    assert "节约资金（相对新购）" in page.inner_text(".figures")
    page.screenshot(path=str(ARTIFACTS / "dashboard-demo-city.png"), full_page=True)
    page.click("svg.chart a >> nth=0")  # a bar drills down to its records
    page.wait_for_url("**/stats/records**")
    assert page.locator("table.grid tbody tr").count() >= 1
    page.goto("/")
    page.fill("input[name=q]", "会议椅")
    page.click("form.search button")
    page.wait_for_load_state()
    assert page.locator(".card").count() >= 5
    page.screenshot(path=str(ARTIFACTS / "browse-demo-city.png"), full_page=False)
    context.close()


def test_acquisition_requests_in_their_states(demo):
    """先调剂后配置 in the demo: one met from the pool, one refused over a price cap, one approved by finance as an
    exception, one waiting for finance, one waiting for the unit's answer to the pool's offer."""
    from market.models import Acquisition, Unit

    url, _, _ = demo
    with session_scope(url) as db:
        rows = db.execute(select(Unit.code, Request.status, Acquisition.outcome, Acquisition.pool_taken)
                          .join(Request, Request.unit_id == Unit.id)
                          .join(Acquisition, Acquisition.request_id == Request.id)).all()
    got = {code: (status, outcome, taken) for code, status, outcome, taken in rows}
    assert got["TJJ"] == ("allocated", "from_pool", 6)  # six laptops from the warehouse, none bought
    assert got["GAJ"][:2] == ("rejected", "refused")  # 9,800 元 > the 7,000 元 cap, no exception asked
    assert got["SJUJ"][:2] == ("purchasing", "approved")  # over the cap, approved by finance: bought centrally
    assert got["TYJ"][:2] == ("over_cap", "exception")  # waiting for finance
    assert got["WJW"][:2] == ("pool_offer", "pool")  # waiting for the unit's answer to the pool's offer
    assert got["RSJ"][1] in ("within", "from_pool")


def test_demo_users_have_email_and_mail_waits_without_a_server(demo, monkeypatch):
    """Every demo account has an e-mail address; with no mail server configured the e-mails a new action causes
    wait in the outbox, marked 未配置邮件服务, and nothing fails (last: it adds a request to the city)."""
    from datetime import timedelta

    from sqlmodel import select

    from market import channels
    from market.models import Category, Delivery, User
    from market.requests import LineInput, submit_request

    for name in ("GONGWUCANG_SMTP_URL", "GONGWUCANG_SMTP_HOST", "GONGWUCANG_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    url, _, _ = demo
    with session_scope(url, write=True) as db:
        users = db.exec(select(User)).all()
        assert users and all(u.email and u.email.endswith("@jinchuan.example.gov.cn") for u in users)
        assert db.exec(select(Delivery)).first() is None  # the year of history is not mailed
        staff = next(u for u in users if u.username == "jyj_staff")
        cat = db.exec(select(Category).where(Category.code == "A05010201")).one()
        submit_request(db, staff, "演示：新增会议保障", [LineInput(cat.id, 5, TODAY + timedelta(days=30),
                                                                TODAY + timedelta(days=31))])
    assert channels.send_pending(url=url)["unconfigured"] >= 1
    with session_scope(url) as db:
        rows = db.exec(select(Delivery)).all()
        assert rows and {(r.channel, r.status, r.last_error) for r in rows} == {("email", "queued", "未配置邮件服务")}
        assert {r.address for r in rows} == {"gwc.admin@jinchuan.example.gov.cn"}  # the approver of loans


def test_demo_accounts_have_only_the_last_weeks_notices_unread(demo):
    from datetime import UTC, datetime, timedelta

    from market.demo import UNREAD_DAYS
    from market.models import Notice, User

    url, _, _ = demo
    since = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC) - timedelta(days=UNREAD_DAYS)
    with session_scope(url) as db:
        unread = db.execute(select(User.username, Notice.created_at).join(Notice, Notice.user_id == User.id)
                            .where(Notice.read_at.is_(None))).all()
        read = db.execute(select(func.count()).select_from(Notice).where(Notice.read_at.is_not(None))).scalar()
    assert read > 1000 and all(at >= since for _, at in unread)
    per_user = {name: sum(1 for n, _ in unread if n == name) for name in ("jyj_staff", "jyj_admin", "gwc_admin")}
    assert all(1 <= n <= 60 for n in per_user.values()), per_user


def test_chains_and_holders_in_the_demo(demo):
    """The demo city has chain rules, a large loan part-way along its chain, and loans of units' idle items waiting
    for their holders to hand them over (issue 16, items 5 and 6)."""
    from market import approvals
    from market import orders as ords
    from market.models import ApprovalRule, ApprovalStep, User
    from market.requests import approval_chain

    url, _, _ = demo
    with session_scope(url) as db:
        chains = {(r.action, int(r.min_value)): r.steps for r in db.execute(select(ApprovalRule)).scalars()}
        assert chains[("loan", 50000)] == ["unit_manager", "warehouse_admin", "finance"]
        assert chains[("ownership_transfer", 0)] == ["unit_manager", "warehouse_admin"]
        step2 = db.execute(select(ApprovalStep).where(ApprovalStep.subject == "request", ApprovalStep.position == 2,
                                                      ApprovalStep.status == "pending")).scalars().all()
        assert len(step2) == 1
        req = db.get(Request, step2[0].subject_id)
        assert [s.status_label for s in approval_chain(db, req)] == ["已批准", "待审批", "未开始"]
        assert approvals.chain_for(db, "loan", Decimal(1000)) == ["warehouse_admin"]
        held = 0
        for manager in db.execute(select(User).where(User.role == "unit_manager")).scalars():
            queue = [o for o in ords.holder_queue(db, manager) if o.status == "allocated"]
            held += len(queue)
            for o in queue:
                assert ords.next_step(db, o).startswith("待持有单位")
        assert held >= 2


def test_the_report_counts_each_cap_group_as_one_unit_is_counted(demo):
    """The supervision report reads every unit's holdings in one grouped query; on the demo city each figure is
    what ``standards.holdings`` counts for that unit and cap group alone."""
    from market import standards, supervision
    from market.models import Unit

    url, _, _ = demo
    with session_scope(url) as db:
        units = list(db.scalars(select(Unit).order_by(Unit.id)))
        reports = supervision.unit_reports(db, units)
        pairs = [(r.unit, row) for r in reports.values() for row in r.caps]
        assert len(pairs) >= 100 and sum(row.holdings for _, row in pairs) > 0
        assert all(row.holdings == standards.holdings(db, unit, row.group.key) for unit, row in pairs)
