"""Checking a solution against its problem: feasibility and every reported figure.

Money is compared with a relative tolerance of 1e-6 (and an absolute floor of 1e-6 yuan,
for figures that are zero); quantities exactly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from typing import Any

from .capacity import INF_DAY, Capacity
from .problem import Problem, one_line, validate
from .rules import lot_can_serve, lot_capacity, lot_km, offer_capacity, offer_km, serves_kind

REL_TOL = 1e-6
ABS_TOL = 1e-6


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    if _is_int(v):
        return abs(v) < 10**300
    return isinstance(v, float) and math.isfinite(v)


def _first_excess(uses: list[tuple[int, int, int]], cap: Capacity) -> tuple[int, int, int] | None:
    """Rules 4 and 5: the first day on which ``uses`` (closed day intervals (start, end, units) of this
    problem's requests) have units out and those units plus what the bookings hold exceed ``cap.base``;
    returns (day, units of the requests, units booked), or None when there is no such day. Both loads
    change only on the days of ``events``, so checking those days checks every day."""
    events: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for s, e, q in uses:
        events[s][0] += q
        events[e + 1][0] -= q
    for s, e, q in cap.booked:
        events[s][1] += q
        events[e + 1][1] -= q
    load = booked = 0
    for d in sorted(events):
        load += events[d][0]
        booked += events[d][1]
        if load > 0 and load + booked > cap.base:
            return d, load, booked
    return None


def _excess_text(day: int, load: int, booked: int) -> str:
    return f"在 {_fmt_day(day)} {load} 件" + (f"（另有 booked 预订 {booked} 件）" if booked else "")


def _fmt_day(d: int) -> str:
    try:
        return date.fromordinal(d).isoformat()
    except (ValueError, OverflowError):
        return str(d)


def check(problem: dict[str, Any] | Problem, solution: Any) -> list[str]:
    """Return the list of failures (in Chinese); empty means the solution is valid.

    Raises :class:`ProblemError` when the problem itself is malformed.
    """
    return [one_line(e) for e in _check(problem, solution)]


def _check(problem: dict[str, Any] | Problem, solution: Any) -> list[str]:
    """Return the list of failures (in Chinese); empty means the solution is valid.

    Raises :class:`ProblemError` when the problem itself is malformed.
    """
    prob = problem if isinstance(problem, Problem) else validate(problem)
    errs: list[str] = []
    if not isinstance(solution, dict):
        return ["错误：解应为 JSON 对象"]
    status = solution.get("status")
    if status == "error":
        errs.append(f"错误：解的字段 status 为 \"error\"（{solution.get('message', '无说明')}），不是可行方案")
        return errs
    if status not in ("optimal", "feasible"):
        errs.append(f"错误：解的字段 status 应为 \"optimal\" 或 \"feasible\"，实际为 {status!r}")
    if solution.get("policy") != prob.policy:
        errs.append(f"错误：解的字段 policy 为 {solution.get('policy')!r}，与问题的 {prob.policy!r} 不符")

    req_by_id = {r.id: r for r in prob.requests}
    lot_by_id = {k.id: k for k in prob.stock}
    offer_by_id = {o.id: o for o in prob.rentals}

    rows = solution.get("assignments")
    if not isinstance(rows, list):
        return errs + ["错误：解的字段 assignments 应为数组"]
    served: dict[str, int] = defaultdict(int)
    seen: set[tuple[str, str]] = set()
    lot_use: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    offer_use: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    handling = transport = rental = delivery = 0.0
    rental_units = idle_units = 0
    for i, row in enumerate(rows):
        where = f"assignments[{i}]"
        if not isinstance(row, dict):
            errs.append(f"错误：{where} 应为 JSON 对象")
            continue
        rid, sid, q = row.get("request"), row.get("source"), row.get("quantity")
        where = f"assignments[{i}]（request={rid}, source={sid}）"
        req = req_by_id.get(rid) if isinstance(rid, str) else None
        if req is None:
            errs.append(f"错误：{where}的字段 request 不是问题中的需求 id")
            continue
        if not _is_int(q) or q < 1:
            errs.append(f"错误：{where}的字段 quantity 应为正整数，实际为 {q!r}")
            continue
        if (rid, sid) in seen:
            errs.append(f"错误：{where} 与前面的行重复（每个需求与来源只能有一行）")
        seen.add((rid, sid))
        rate = prob.rate(req.category)
        cost = row.get("cost")
        if isinstance(sid, str) and sid in lot_by_id:
            lot = lot_by_id[sid]
            if row.get("tier") != lot.tier:
                errs.append(f"错误：{where}的字段 tier 应为 {lot.tier!r}，实际为 {row.get('tier')!r}")
            if lot.category != req.category:
                errs.append(f"错误：{where} 的类别不符：来源 {lot.category}，需求 {req.category}")
                continue
            if not serves_kind(lot, req):
                kind = "借用（loan）" if lot.serves == "loan" else "永久调剂（transfer）"
                errs.append(f"错误：{where} 违反 serves：{sid} 只服务{kind}需求，{rid} 不是")
            elif not lot_can_serve(prob, lot, req):
                errs.append(f"错误：{where} 违反可用期：{sid} 的 available_from/available_until 不覆盖需求的占用期（含周转天数）")
            busy_end = prob.busy_end(req)
            lot_use[sid].append((req.start, INF_DAY if busy_end is None else busy_end, q))
            h, t = q * lot.handling_cost, q * rate * lot_km(lot, req)
            expect = h + t
            handling += h
            transport += t
            if lot.tier == "idle":
                idle_units += q
        elif isinstance(sid, str) and sid in offer_by_id:
            offer = offer_by_id[sid]
            if row.get("tier") != "rental":
                errs.append(f"错误：{where}的字段 tier 应为 'rental'，实际为 {row.get('tier')!r}")
            if offer.category != req.category:
                errs.append(f"错误：{where} 的类别不符：来源 {offer.category}，需求 {req.category}")
                continue
            if req.end is None:
                errs.append(f"错误：{where} 用租赁满足永久调剂需求 {rid}（租赁只能用于借用）")
                continue
            offer_use[sid].append((req.start, req.end, q))
            rent, t = q * offer.price_per_unit_day * req.days, q * rate * offer_km(offer, req)
            expect = rent + t + offer.delivery_fee
            rental += rent
            transport += t
            delivery += offer.delivery_fee
            rental_units += q
        else:
            errs.append(f"错误：{where}的字段 source 不是问题中的库存或租赁 id")
            continue
        served[rid] += q
        if not _is_num(cost) or not close(float(cost), expect):
            errs.append(f"错误：{where}的字段 cost 为 {cost!r}，应为 {expect!r}")

    for sid, use in lot_use.items():
        over = _first_excess(use, lot_capacity(lot_by_id[sid]))
        if over is not None:
            errs.append(f"错误：库存 {sid} {_excess_text(*over)}被占用，超过数量 {lot_by_id[sid].quantity}")
    for sid, use in offer_use.items():
        cap = offer_capacity(offer_by_id[sid])
        over = None if cap is None else _first_excess(use, cap)
        if over is not None:
            errs.append(f"错误：租赁 {sid} {_excess_text(*over)}租出，超过 capacity {cap.base}")  # type: ignore[union-attr]

    expected_unmet: dict[str, int] = {}
    weighted_unmet = 0
    unmet_money = 0.0
    for req in prob.requests:
        m = req.quantity - served[req.id]
        if m < 0:
            errs.append(f"错误：需求 {req.id} 分配了 {served[req.id]} 件，超过 quantity {req.quantity}")
        elif m > 0:
            expected_unmet[req.id] = m
            weighted_unmet += req.priority * m
            unmet_money += req.unmet_cost * m
    unmet = solution.get("unmet")
    if not isinstance(unmet, list):
        errs.append("错误：解的字段 unmet 应为数组")
    else:
        got: dict[str, int] = {}
        for i, row in enumerate(unmet):
            if not isinstance(row, dict) or not isinstance(row.get("request"), str):
                errs.append(f"错误：unmet[{i}] 应为 {{\"request\": id, \"quantity\": 数量}}")
                continue
            if row["request"] in got:
                errs.append(f"错误：unmet[{i}]（request={row['request']}）重复")
            got[row["request"]] = row.get("quantity")  # type: ignore[assignment]
        for rid in sorted(set(got) | set(expected_unmet)):
            want, have = expected_unmet.get(rid, 0), got.get(rid)
            if rid not in req_by_id:
                errs.append(f"错误：unmet 中的 request {rid} 不是问题中的需求 id")
            elif not (_is_int(have) and have == want) and not (have is None and want == 0):
                errs.append(f"错误：需求 {rid} 的未满足数量应为 {want}，解中为 {have!r}")

    money = handling + transport + rental + delivery
    obj = solution.get("objective")
    if not isinstance(obj, dict):
        errs.append("错误：解的字段 objective 应为对象")
    elif prob.policy == "tiered":
        for name, want in (("weighted_unmet", weighted_unmet), ("rental_units", rental_units),
                           ("idle_units", idle_units)):
            have = obj.get(name)
            if not _is_int(have) or have != want:
                errs.append(f"错误：objective 的字段 {name} 为 {have!r}，应为 {want}")
        have = obj.get("money")
        if not _is_num(have) or not close(float(have), money):
            errs.append(f"错误：objective 的字段 money 为 {have!r}，应为 {money!r}")
    else:
        have = obj.get("total")
        if not _is_num(have) or not close(float(have), money + unmet_money):
            errs.append(f"错误：objective 的字段 total 为 {have!r}，应为 {money + unmet_money!r}")
    cost = solution.get("cost")
    if not isinstance(cost, dict):
        errs.append("错误：解的字段 cost 应为对象")
    else:
        for name, want in (("handling", handling), ("transport", transport), ("rental", rental),
                           ("delivery", delivery), ("total", money)):
            have = cost.get(name)
            if not _is_num(have) or not close(float(have), want):
                errs.append(f"错误：cost 的字段 {name} 为 {have!r}，应为 {want!r}")
    return errs
