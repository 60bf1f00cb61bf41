"""Proposals in the ledger: problem from the database, matcher, edits, acceptance into orders, savings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from factories import add_assets
from sqlmodel import func, select

import matcher
from market.errors import Conflict, InvalidInput, InvalidTransition, PermissionDenied
from market.infra.eventlog import history
from market.models import Asset, Order, OrderItem, Request
from market.pool import listings as pool
from market.proposals import accept_proposal, build_problem, discard_proposal, edit_proposal, run_matcher
from market.requests import LineInput, approve_request, submit_request

TODAY = date(2026, 11, 23)
D1, D2 = date(2026, 12, 3), date(2026, 12, 5)


def _stock(db, world, warehouse=80, idle=20):
    admin = world.user("admin")
    pool.receive_items(db, admin, world.warehouse.id, world.chair.id, "会议椅", warehouse, "300", handling_cost="2")
    if idle:
        chairs = add_assets(db, world.health, world.chair, idle, prefix="WJW-IDLE")
        db.commit()
        pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs], title="闲置会议椅")


def _request(db, world, qty=120, start=D1, end=D2):
    req = submit_request(db, world.user("staff_edu"), "全市教育工作会议", [LineInput(world.chair.id, qty, start, end)])
    approve_request(db, world.user("admin"), req.id)
    return req


def test_problem_from_the_ledger_is_valid_and_grouped(db, world):
    _stock(db, world)
    _request(db, world)
    built = build_problem(db, today=TODAY)
    p = matcher.validate(built.problem)
    assert [r.quantity for r in p.requests] == [120]
    assert sorted((lot.tier, lot.quantity) for lot in p.stock) == [("idle", 20), ("warehouse", 80)]
    assert [o.id for o in p.rentals] == [f"M{world.chair_offer.id}"]
    assert sum(len(v["assets"]) for v in built.lots.values()) == 100
    assert built.problem["transport"]["per_unit_km"]["A05010201"] == 0.8


def test_tiered_proposal_uses_warehouse_then_idle_then_rental(db, world):
    _stock(db, world)
    _request(db, world)
    prop = run_matcher(db, world.user("admin"), today=TODAY)
    sol = prop.solution
    assert sol["status"] == "optimal"
    by_tier = {a["tier"]: a["quantity"] for a in sol["assignments"]}
    assert by_tier == {"warehouse": 80, "idle": 20, "rental": 20}
    assert matcher.check(prop.problem, sol) == []
    # savings: everything bought new = 120 × 350 元
    assert prop.cost_all_new == Decimal("42000.00")
    assert prop.cost_all_rented is not None and prop.cost_all_rented > prop.cost_total
    assert history(db, "proposal", prop.id)[0].action == "create"


def test_accept_creates_orders_with_pick_lists(db, world):
    _stock(db, world)
    req = _request(db, world)
    prop = run_matcher(db, world.user("admin"), today=TODAY)
    accept_proposal(db, world.user("admin"), prop.id)
    orders = db.exec(select(Order).where(Order.proposal_id == prop.id)).all()
    assert sorted((o.kind, o.quantity) for o in orders) == [("loan", 20), ("loan", 80), ("rental", 20)]
    assert db.exec(select(func.count()).select_from(Asset).where(Asset.status == "reserved")).one() == 100
    db.refresh(req)
    assert req.status == "allocated" and prop.status == "accepted"
    with pytest.raises(InvalidTransition):
        accept_proposal(db, world.user("admin"), prop.id)


def test_second_acceptance_of_the_same_items_fails_cleanly(db, world):
    _stock(db, world, warehouse=50, idle=0)
    _request(db, world, qty=50)
    first = run_matcher(db, world.user("admin"), today=TODAY)
    second = run_matcher(db, world.user("admin"), today=TODAY)
    accept_proposal(db, world.user("admin"), first.id)
    before = db.exec(select(func.count()).select_from(Order)).one()
    with pytest.raises((Conflict, InvalidTransition)):
        accept_proposal(db, world.user("admin"), second.id)
    db.refresh(second)
    assert second.status == "draft"
    assert db.exec(select(func.count()).select_from(Order)).one() == before


def test_concurrent_requests_in_second_proposal_conflict_on_items(db, world):
    # Two requests approved separately; two proposals each promise the same 30 warehouse chairs.
    _stock(db, world, warehouse=30, idle=0)
    _request(db, world, qty=30)
    first = run_matcher(db, world.user("admin"), today=TODAY)
    discard_proposal(db, world.user("admin"), first.id)
    again = run_matcher(db, world.user("admin"), today=TODAY)
    accept_proposal(db, world.user("admin"), again.id)
    with pytest.raises(InvalidTransition):
        accept_proposal(db, world.user("admin"), first.id)  # discarded


def test_edit_is_rechecked(db, world):
    _stock(db, world)
    _request(db, world)
    prop = run_matcher(db, world.user("admin"), today=TODAY)
    rid = prop.problem["requests"][0]["id"]
    rental = next(a for a in prop.solution["assignments"] if a["tier"] == "rental")
    wh = next(a for a in prop.solution["assignments"] if a["tier"] == "warehouse")
    edit_proposal(db, world.user("admin"), prop.id, {(rid, rental["source"]): 0})
    assert prop.solution["unmet"] == [{"request": rid, "quantity": 20}]
    assert matcher.check(prop.problem, prop.solution) == []
    with pytest.raises(InvalidInput, match="不可行"):
        edit_proposal(db, world.user("admin"), prop.id, {(rid, wh["source"]): 100})  # the lot holds 80
    with pytest.raises(InvalidInput, match="非负整数"):
        edit_proposal(db, world.user("admin"), prop.id, {(rid, wh["source"]): -1})
    with pytest.raises(InvalidInput, match="没有来源"):
        edit_proposal(db, world.user("admin"), prop.id, {(rid, "K999-0"): 1})
    accept_proposal(db, world.user("admin"), prop.id)
    assert sorted(o.quantity for o in db.exec(select(Order))) == [20, 80]


def test_permanent_request_skips_lots_that_must_come_back(db, world):
    admin = world.user("admin")
    chairs = add_assets(db, world.health, world.chair, 10, prefix="TMP")
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs], available_until=date(2027, 3, 1))
    req = submit_request(db, world.user("staff_edu"), "新设机构", [LineInput(world.chair.id, 5, D1, None)],
                         purpose="新设机构")
    approve_request(db, admin, req.id)
    prop = run_matcher(db, admin, today=TODAY)
    assert prop.solution["assignments"] == [] and prop.solution["unmet"][0]["quantity"] == 5


def test_only_the_warehouse_admin_runs_the_matcher(db, world):
    _stock(db, world)
    _request(db, world)
    with pytest.raises(PermissionDenied):
        run_matcher(db, world.user("mgr_edu"), today=TODAY)
    with pytest.raises(PermissionDenied):
        run_matcher(db, world.user("finance"), today=TODAY)


def test_nothing_to_match(db, world):
    with pytest.raises(InvalidTransition, match="没有待调配"):
        run_matcher(db, world.user("admin"), today=TODAY)


def test_items_on_loan_come_back_as_a_later_lot(db, world):
    _stock(db, world, warehouse=10, idle=0)
    _request(db, world, qty=10, start=D1, end=D2)
    accept_proposal(db, world.user("admin"), run_matcher(db, world.user("admin"), today=TODAY).id)
    # busy until 12-06 with the turnaround day: a loan from 12-07 can have them, one from 12-06 cannot
    later = _request(db, world, qty=10, start=date(2026, 12, 7), end=date(2026, 12, 8))
    prop = run_matcher(db, world.user("admin"), today=TODAY)
    assert {a["tier"]: a["quantity"] for a in prop.solution["assignments"]} == {"warehouse": 10}
    accept_proposal(db, world.user("admin"), prop.id)
    assert db.get(Request, later.id).status == "allocated"


def test_two_simultaneous_acceptances_lend_nothing_twice(db, world):
    import threading

    from market.infra.db import session_scope
    from market.models import OrderItem, User

    _stock(db, world, warehouse=40, idle=0)
    _request(db, world, qty=40)
    ids = [run_matcher(db, world.user("admin"), today=TODAY).id for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(pid: int) -> None:
        barrier.wait(10)
        with session_scope(write=True) as s:
            actor = s.get(User, world.user("admin").id)
            try:
                accept_proposal(s, actor, pid)
                outcomes.append("accepted")
            except (Conflict, InvalidTransition) as exc:
                outcomes.append(f"refused: {exc.message}")

    threads = [threading.Thread(target=accept, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["accepted", "refused"], outcomes
    db.expire_all()
    asset_ids = db.exec(select(OrderItem.asset_id).where(OrderItem.active)).all()
    assert len(asset_ids) == len(set(asset_ids)) == 40


def test_listing_modes_are_respected(db, world):
    loan_only = add_assets(db, world.health, world.chair, 4, prefix="LO")
    transfer_only = add_assets(db, world.edu, world.chair, 4, prefix="TO")
    db.commit()
    pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in loan_only], mode="loan")
    pool.post_idle_items(db, world.user("mgr_edu"), [a.id for a in transfer_only], mode="transfer")
    loan = submit_request(db, world.user("staff_health"), "会议", [LineInput(world.chair.id, 6, D1, D2)])
    perm = submit_request(db, world.user("staff_health"), "新设机构", [LineInput(world.chair.id, 3, D1, None)],
                          purpose="新设机构")
    for r in (loan, perm):
        approve_request(db, world.user("admin"), r.id)
    prop = run_matcher(db, world.user("admin"), today=TODAY)
    holder = {k["id"]: k["holder"] for k in prop.problem["stock"]}
    rows = {(a["request"], holder.get(a["source"], "rental")): a["quantity"] for a in prop.solution["assignments"]}
    assert rows[(f"R{_line(db, loan).id}", "市卫生健康委员会")] == 4  # loan-only lot serves the loan
    assert rows[(f"R{_line(db, perm).id}", "市教育局")] == 3  # the transfer-only lot serves the transfer
    assert (f"R{_line(db, loan).id}", "市教育局") not in rows
    assert {k["holder"]: k["serves"] for k in prop.problem["stock"]} == {"市卫生健康委员会": "loan", "市教育局": "transfer"}
    # one problem, solved once: the optimum is proven (no second pass for transfer-only lots)
    assert prop.solution["status"] == "optimal" and matcher.check(prop.problem, prop.solution) == []
    assert "两阶段" not in prop.solution["explanation"]
    accept_proposal(db, world.user("admin"), prop.id)


def _line(db, req):
    from market.requests import request_lines

    return request_lines(db, req.id)[0]


def _rented_per_day(db, offer_id):
    """Units of one rental offer out to accepted proposals on each day."""
    per_day: dict[date, int] = {}
    for o in db.exec(select(Order).where(Order.kind == "rental", Order.rental_offer_id == offer_id)):
        d = o.start_date
        while d <= o.end_date:
            per_day[d] = per_day.get(d, 0) + o.quantity
            d = date.fromordinal(d.toordinal() + 1)
    return per_day


def test_two_proposals_in_a_row_never_promise_a_vendor_twice(db, world):
    """Accepted rentals are bookings on their offer: the second proposal rents only what is left."""
    admin = world.user("admin")
    offer = world.chair_offer
    offer.capacity = 30
    db.add(offer)
    db.commit()
    _request(db, world, qty=20, start=D1, end=D2)
    first = run_matcher(db, admin, today=TODAY)
    assert {a["tier"]: a["quantity"] for a in first.solution["assignments"]} == {"rental": 20}
    accept_proposal(db, admin, first.id)
    # 12-05 … 12-08 overlaps the first rental on 12-05: only 10 units are free that day
    _request(db, world, qty=20, start=D2, end=date(2026, 12, 8))
    second = run_matcher(db, admin, today=TODAY)
    assert second.problem["rentals"][0]["booked"] == [
        {"start": D1.isoformat(), "end": D2.isoformat(), "quantity": 20}]
    assert second.solution["status"] == "optimal" and matcher.check(second.problem, second.solution) == []
    assert [a["quantity"] for a in second.solution["assignments"]] == [10]
    assert [u["quantity"] for u in second.solution["unmet"]] == [10]
    accept_proposal(db, admin, second.id)
    per_day = _rented_per_day(db, offer.id)
    assert per_day[D2] == 30 and max(per_day.values()) <= offer.capacity
    assert sum(per_day.values()) == 20 * 3 + 10 * 4


def test_item_reserved_for_a_later_week_is_lent_for_an_earlier_one(db, world):
    admin = world.user("admin")
    _stock(db, world, warehouse=5, idle=0)
    later = _request(db, world, qty=5, start=date(2026, 12, 14), end=date(2026, 12, 18))
    accept_proposal(db, admin, run_matcher(db, admin, today=TODAY).id)
    reserved = set(db.exec(select(OrderItem.asset_id).where(OrderItem.active)).all())
    assert len(reserved) == 5
    # 12-03 … 12-05, busy to 12-06 with the turnaround: free again long before 12-14
    earlier = _request(db, world, qty=5, start=D1, end=D2)
    prop = run_matcher(db, admin, today=TODAY)
    (lot,) = prop.problem["stock"]
    assert lot["booked"] == [{"start": "2026-12-14", "end": "2026-12-19", "quantity": 5}]
    assert {a["tier"]: a["quantity"] for a in prop.solution["assignments"]} == {"warehouse": 5}
    accept_proposal(db, admin, prop.id)
    db.expire_all()
    assert db.get(Request, earlier.id).status == "allocated" and db.get(Request, later.id).status == "allocated"
    items = db.exec(select(OrderItem).where(OrderItem.active)).all()
    assert {i.asset_id for i in items} == reserved and len(items) == 10


def test_lot_given_away_from_a_date_still_serves_an_earlier_loan(db, world):
    admin = world.user("admin")
    _stock(db, world, warehouse=4, idle=0)
    _request(db, world, qty=4, start=date(2026, 12, 20), end=None)
    accept_proposal(db, admin, run_matcher(db, admin, today=TODAY).id)
    _request(db, world, qty=4, start=D1, end=D2)  # back 12-06, long before 12-20
    _request(db, world, qty=4, start=date(2026, 12, 18), end=date(2026, 12, 22))  # runs into the transfer
    prop = run_matcher(db, admin, today=TODAY)
    (lot,) = prop.problem["stock"]
    assert lot["booked"] == [{"start": "2026-12-20", "end": None, "quantity": 4}]
    starts = {r["id"]: r["start"] for r in prop.problem["requests"]}
    from_stock = {starts[a["request"]]: a["quantity"] for a in prop.solution["assignments"] if a["tier"] == "warehouse"}
    assert from_stock == {D1.isoformat(): 4}
    accept_proposal(db, admin, prop.id)


def test_an_overdue_loan_is_not_offered_before_it_is_back(db, world):
    from market.orders import hand_out

    admin = world.user("admin")
    _stock(db, world, warehouse=3, idle=0)
    _request(db, world, qty=3, start=date(2026, 11, 10), end=date(2026, 11, 12))
    accept_proposal(db, admin, run_matcher(db, admin, today=date(2026, 11, 1)).id)
    order = db.exec(select(Order)).one()
    hand_out(db, admin, order.id)
    # on 11-23 the chairs are eleven days overdue: booked until the day after today at least
    _request(db, world, qty=3, start=TODAY, end=date(2026, 11, 25))
    prop = run_matcher(db, admin, today=TODAY)
    (lot,) = prop.problem["stock"]
    assert lot["booked"] == [{"start": "2026-11-10", "end": "2026-11-24", "quantity": 3}]
    assert [a["tier"] for a in prop.solution["assignments"]] == ["rental"]


def _mixed_listing(db, world, new=4, good=3):
    """One unit's idle listing of chairs in two conditions: two lots of one listing."""
    chairs = add_assets(db, world.health, world.chair, new + good, prefix="MIX")
    for a in chairs[:new]:
        a.condition = "全新"
        db.add(a)
    db.commit()
    return pool.post_idle_items(db, world.user("mgr_health"), [a.id for a in chairs], title="卫健委闲置会议椅")


def test_review_groups_a_listings_lots_and_accept_makes_one_order(db, world):
    from market.proposals import proposal_detail

    admin = world.user("admin")
    listing = _mixed_listing(db, world)
    req = _request(db, world, qty=7)
    prop = run_matcher(db, admin, today=TODAY)
    assert len(prop.problem["stock"]) == 2  # 全新 and 良好
    (line,) = proposal_detail(db, admin, prop.id).lines
    (row,) = [r for r in line.rows if r["tier"] == "idle"]
    assert row["key"] == f"L{listing.id}" and row["quantity"] == 7 and row["title"] == "卫健委闲置会议椅"
    assert row["link"] == f"/listings/{listing.id}" and row["conditions"] in ("全新 4 件 · 良好 3 件", "良好 3 件 · 全新 4 件")
    assert line.number == req.number
    accept_proposal(db, admin, prop.id)
    (order,) = db.exec(select(Order).where(Order.proposal_id == prop.id)).all()
    assert order.quantity == 7 and order.listing_id == listing.id
    conditions = sorted(db.get(Asset, i.asset_id).condition for i in db.exec(
        select(OrderItem).where(OrderItem.order_id == order.id)))
    assert conditions == ["全新"] * 4 + ["良好"] * 3


def test_edit_by_listing_spreads_over_its_lots_and_says_it_was_edited(db, world):
    from market.proposals import EDITED

    admin = world.user("admin")
    listing = _mixed_listing(db, world)
    req = _request(db, world, qty=10)  # 7 from the listing, 3 rented
    prop = run_matcher(db, admin, today=TODAY)
    rid = prop.problem["requests"][0]["id"]
    assert prop.solved_label == "最优"
    with pytest.raises(InvalidInput) as err:
        edit_proposal(db, admin, prop.id, {(rid, f"L{listing.id}"): 8, (rid, f"M{world.chair_offer.id}"): 2})
    assert f"挂牌 #{listing.id}「卫健委闲置会议椅」" in err.value.message and "最多能调出 7 件" in err.value.message
    with pytest.raises(InvalidInput) as err:
        edit_proposal(db, admin, prop.id, {(rid, f"M{world.chair_offer.id}"): 9})
    assert f"申请 {req.number}" in err.value.message and "共需 10 件" in err.value.message
    prop = edit_proposal(db, admin, prop.id, {(rid, f"L{listing.id}"): 5})
    taken = {a["source"]: a["quantity"] for a in prop.solution["assignments"] if a["tier"] == "idle"}
    assert sum(taken.values()) == 5 and len(taken) == 2
    assert prop.solved_label == "人工调整（已复核）" and prop.solution["explanation"].startswith(EDITED)
    assert "达到时间上限" not in prop.solution["explanation"]
    prop = edit_proposal(db, admin, prop.id, {(rid, f"L{listing.id}"): 7})
    assert sum(a["quantity"] for a in prop.solution["assignments"] if a["tier"] == "idle") == 7
    accept_proposal(db, admin, prop.id)
    assert sorted(o.quantity for o in db.exec(select(Order).where(Order.proposal_id == prop.id))) == [3, 7]


def test_savings_compare_each_line_with_the_alternative_that_fits(db, world):
    """A loan against renting for its days, a transfer against buying new (issue 16: a three-day loan was
    compared with buying the chairs)."""
    from market.proposals import proposal_detail
    from matcher.geo import haversine_km

    admin = world.user("admin")
    _stock(db, world, warehouse=10, idle=0)
    loan = _request(db, world, qty=5, start=D1, end=D2)  # three days
    submit = submit_request(db, world.user("staff_edu"), "新设机构", [LineInput(world.chair.id, 2, D1, None)],
                            purpose="新设机构")
    approve_request(db, admin, submit.id)
    prop = run_matcher(db, admin, today=TODAY)
    s = proposal_detail(db, admin, prop.id).savings
    edu = db.get(Request, loan.id)
    km = haversine_km(31.50, 104.65, edu.lat, edu.lng)  # the vendor to the requesting unit
    rent = 5 * (6 * 3 + 0.8 * km) + 300
    assert (s.loan_units_rent, s.loan_units_new, s.transfer_units) == (5, 0, 2)
    assert float(s.baseline) == pytest.approx(rent + 2 * 350, abs=0.01)
    assert s.saved == s.baseline - prop.cost_total and s.baseline < prop.cost_all_new
    assert s.basis == "出借 5 件对照市场租金，永久调剂 2 件对照新购"


def test_one_order_per_holder_across_its_listings(db, world):
    """Two listings of one warehouse serve one line: one order; its return puts each item back into its own
    listing, and a transfer that empties both listings withdraws both (issue 16.4)."""
    from market.models import PoolListing
    from market.orders import Inspection, hand_out, return_loan

    admin = world.user("admin")
    a = pool.receive_items(db, admin, world.warehouse.id, world.chair.id, "会议椅", 3, "300", handling_cost="2")
    b = pool.receive_items(db, admin, world.warehouse.id, world.chair.id, "会议椅（二批）", 2, "300", handling_cost="2")
    _request(db, world, qty=5, start=D1, end=D2)
    prop = run_matcher(db, admin, today=TODAY)
    assert {prop.lots[x["source"]]["listing"] for x in prop.solution["assignments"]} == {a.id, b.id}
    accept_proposal(db, admin, prop.id)
    (order,) = db.exec(select(Order).where(Order.proposal_id == prop.id)).all()
    assert order.quantity == 5
    items = db.exec(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    home = {i.asset_id: db.get(Asset, i.asset_id).listing_id for i in items}
    assert sorted(home.values()) == sorted([a.id] * 3 + [b.id] * 2)
    hand_out(db, admin, order.id)
    return_loan(db, admin, order.id, {i: Inspection("全新") for i in home})
    db.expire_all()
    assert {i: (db.get(Asset, i).listing_id, db.get(Asset, i).status) for i in home} == {
        i: (lst, "listed") for i, lst in home.items()}
    # now all five for good: one transfer order, and both listings leave the pool once it is handed over
    _request(db, world, qty=5, start=date(2026, 12, 10), end=None)
    prop = run_matcher(db, admin, today=TODAY)
    accept_proposal(db, admin, prop.id)
    (transfer,) = db.exec(select(Order).where(Order.proposal_id == prop.id)).all()
    assert transfer.kind == "transfer" and transfer.quantity == 5
    hand_out(db, admin, transfer.id)
    db.expire_all()
    assert db.get(PoolListing, a.id).status == db.get(PoolListing, b.id).status == "withdrawn"
