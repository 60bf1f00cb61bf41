"""matcher.candidates: why each source of a request's category could or could not serve it."""

from __future__ import annotations

from typing import Any

import pytest

import matcher

HERE = [30.0, 104.0]


def problem(requests: list[dict[str, Any]], stock: list[dict[str, Any]], rentals: list[dict[str, Any]] = ()) -> dict:
    return {"version": 1, "policy": "tiered", "turnaround_days": 1, "transport": {"per_unit_km": {"*": 0.5}},
            "requests": requests, "stock": stock, "rentals": list(rentals)}


def req(rid: str, qty: int, start: str, end: str | None) -> dict[str, Any]:
    return {"id": rid, "category": "C", "quantity": qty, "start": start, "end": end, "location": HERE}


def lot(lid: str, qty: int, **kw: Any) -> dict[str, Any]:
    return {"id": lid, "tier": "warehouse", "category": "C", "quantity": qty, "location": HERE, **kw}


def offer(oid: str, capacity: int | None, **kw: Any) -> dict[str, Any]:
    return {"id": oid, "category": "C", "capacity": capacity, "price_per_unit_day": 5.0, "delivery_fee": 0.0,
            "location": HERE, **kw}


def rows_of(prob: dict, rid: str) -> dict[str, dict[str, Any]]:
    sol = matcher.solve(prob)
    assert matcher.check(prob, sol) == []
    return {r["source"]: r for r in matcher.candidates(prob, sol, rid)}


def test_loan_only_and_transfer_only_lots_say_so():
    prob = problem([req("P", 2, "2026-12-10", None), req("L", 2, "2026-12-10", "2026-12-11")],
                   [lot("KL", 5, serves="loan"), lot("KT", 5, serves="transfer")])
    perm, loan = rows_of(prob, "P"), rows_of(prob, "L")
    assert perm["KL"]["free"] == 0 and perm["KL"]["reasons"] == ["仅供出借，不用于永久调剂"]
    assert perm["KT"]["taken"] == 2 and perm["KT"]["reasons"] == []
    assert loan["KT"]["free"] == 0 and loan["KT"]["reasons"] == ["仅供永久调剂，不用于出借"]
    assert loan["KL"]["taken"] == 2


def test_outside_the_availability_window():
    prob = problem([req("L", 1, "2026-12-10", "2026-12-12"), req("P", 1, "2026-12-10", None)],
                   [lot("K", 3, available_from="2026-12-11"), lot("U", 3, available_until="2026-12-12")])
    loan, perm = rows_of(prob, "L"), rows_of(prob, "P")
    assert loan["K"]["free"] == 0 and loan["K"]["reasons"] == ["可用期外：2026-12-11 起才可用，需求 2026-12-10 开始"]
    # 12-12 plus the turnaround day is 12-13, one day past the window
    assert loan["U"]["reasons"] == ["可用期外：只能用到 2026-12-12，需求连同 1 天周转要占用到 2026-12-13"]
    assert perm["U"]["reasons"] == ["可用期外：只能用到 2026-12-12（须归还），不能永久调剂"]


def test_booked_days_shrink_what_a_lot_can_give_and_say_when():
    booked = [{"start": "2026-12-11", "end": "2026-12-20", "quantity": 3},
              {"start": "2026-12-12", "end": "2026-12-12", "quantity": 1}]
    prob = problem([req("L", 4, "2026-12-10", "2026-12-12")], [lot("K", 5, booked=booked)])
    k = rows_of(prob, "L")["K"]
    # on 12-12 both bookings hold 4 of the 5: one unit is left, and the solution takes it
    assert k["taken"] == 1 and k["free"] == 1
    assert k["reasons"] == ["已被占用：2026-12-12 已有 4 件被其他单据占用（2026-12-11 至 2026-12-20 3 件、"
                            "2026-12-12 至 2026-12-12 1 件），共 5 件"]


def test_a_booking_that_ends_the_day_before_is_no_reason():
    prob = problem([req("L", 2, "2026-12-10", "2026-12-11")],
                   [lot("K", 2, booked=[{"start": "2026-12-01", "end": "2026-12-09", "quantity": 2}])])
    k = rows_of(prob, "L")["K"]
    assert k["taken"] == 2 and k["free"] == 2 and k["reasons"] == []


def test_a_lot_given_away_for_good_later_still_serves_an_earlier_loan():
    prob = problem([req("L", 2, "2026-12-01", "2026-12-03"), req("M", 2, "2026-12-08", "2026-12-12")],
                   [lot("K", 2, booked=[{"start": "2026-12-10", "end": None, "quantity": 2}])])
    assert rows_of(prob, "L")["K"]["taken"] == 2
    m = rows_of(prob, "M")["K"]
    assert m["free"] == 0 and m["reasons"][0].startswith("已被占用：2026-12-10 已有 2 件")
    assert "2026-12-10 起长期 2 件" in m["reasons"][0]


def test_other_lines_of_the_proposal_are_counted():
    prob = problem([req("A", 3, "2026-12-10", "2026-12-12"), req("B", 3, "2026-12-11", "2026-12-13")],
                   [lot("K", 4)])
    sol = matcher.solve(prob)
    rows = {r["request"]: r["quantity"] for r in sol["assignments"]}
    assert sum(rows.values()) == 4
    for rid, other in (("A", "B"), ("B", "A")):
        k = {r["source"]: r for r in matcher.candidates(prob, sol, rid)}["K"]
        assert k["taken"] == rows.get(rid, 0)
        assert k["free"] == 4 - rows.get(other, 0)
        if rows.get(other):
            assert any("本方案中其他需求在" in why and f"已用 {rows[other]} 件" in why for why in k["reasons"])


def test_rentals_booked_unlimited_and_permanent():
    booked = [{"start": "2026-12-09", "end": "2026-12-10", "quantity": 8}]
    prob = problem([req("L", 5, "2026-12-10", "2026-12-11"), req("P", 1, "2026-12-10", None)], [],
                   [offer("M", 10, booked=booked), offer("N", None, booked=booked)])
    loan, perm = rows_of(prob, "L"), rows_of(prob, "P")
    assert loan["M"]["free"] == 2 and loan["M"]["reasons"][0].startswith("已被占用：2026-12-10 已有 8 件")
    assert "供应上限 10 件" in loan["M"]["reasons"][0]
    assert loan["N"]["free"] is None and loan["N"]["reasons"] == []  # bookings on an unlimited offer change nothing
    assert loan["M"]["taken"] + loan["N"]["taken"] == 5
    assert perm["M"]["free"] == 0 and perm["M"]["reasons"] == ["市场租赁只能满足出借需求，不能用于永久调剂"]


def test_an_unknown_request_is_an_error():
    prob = problem([req("L", 1, "2026-12-10", "2026-12-11")], [lot("K", 1)])
    with pytest.raises(matcher.ProblemError, match="需求 X"):
        matcher.candidates(prob, matcher.solve(prob), "X")
