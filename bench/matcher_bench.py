"""Speed of matcher.solve on generated problems, against scipy's HiGHS on the same model.

    .venv/bin/python bench/matcher_bench.py                 # city, both policies, without and with bookings
    .venv/bin/python bench/matcher_bench.py --sizes city province --runs 3
    .venv/bin/python bench/matcher_bench.py --sizes province --baseline-province   # slow (> 10 min)
    .venv/bin/python bench/matcher_bench.py --policies cost --booked yes         # one variant

Every size is solved under each policy, without and with the contract's ``booked`` and ``serves``
(bench/matcher_gen.py's ``booked=True``: the same problem plus bookings that bind), and a table
of all of them ends the output, with the load average before and after.

Each run solves in a fresh subprocess, so that the peak memory (ru_maxrss, which includes
the native solver's memory, unlike tracemalloc) is that run's own. The baseline is the
same exact model (every eligible pair, one capacity row per point of each lot and offer, the
fixed charge, levels solved in turn) as ONE plain MILP on scipy.optimize.milp, without the
decomposition and the dominance pruning; its objective is compared with the matcher's.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from matcher_gen import generate  # noqa: E402

import matcher  # noqa: E402
from matcher.capacity import Capacity, capacity_rows  # noqa: E402
from matcher.decompose import build_components, busy_interval  # noqa: E402
from matcher.rules import lot_capacity, offer_capacity  # noqa: E402


def one_run(size: str, seed: int, policy: str, booked: bool, time_limit: float | None) -> dict[str, Any]:
    problem = generate(size, seed, policy, booked)
    t0 = time.perf_counter()
    sol = matcher.solve(problem, time_limit=time_limit)
    dt = time.perf_counter() - t0
    errs = matcher.check(problem, sol)
    tiers: dict[str, int] = {}
    for a in sol.get("assignments", []):
        tiers[a["tier"]] = tiers.get(a["tier"], 0) + a["quantity"]
    return {"seconds": dt, "status": sol["status"], "objective": sol.get("objective"),
            "check_errors": len(errs), "tiers": tiers,
            "unmet": sum(u["quantity"] for u in sol.get("unmet", [])),
            "solver": sol.get("solver"),
            "maxrss_mib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024}


def baseline(size: str, seed: int, policy: str, booked: bool, time_limit: float | None) -> dict[str, Any]:
    """The same model as one plain MILP on scipy.optimize.milp (HiGHS); returns time and objective."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    prob = matcher.validate(generate(size, seed, policy, booked))
    t0 = time.perf_counter()
    pairs = [p for c in build_components(prob, prune=False, merge=False) for p in c.pairs]
    n = len(pairs)
    zcols = [i for i, p in enumerate(pairs) if p.fee > 0]
    nv = n + len(zcols)
    rows_i: list[int] = []
    rows_j: list[int] = []
    vals: list[float] = []
    rhs: list[float] = []

    def add_row(cols: list[int], coefs: list[float], ub: float) -> None:
        r = len(rhs)
        rows_i.extend([r] * len(cols))
        rows_j.extend(cols)
        vals.extend(coefs)
        rhs.append(ub)

    for zi, i in enumerate(zcols):
        add_row([i, n + zi], [1.0, -float(pairs[i].ub)], 0.0)
    by_req: dict[int, list[int]] = {}
    for i, p in enumerate(pairs):
        by_req.setdefault(p.req, []).append(i)
    for r, idx in by_req.items():
        add_row(idx, [1.0] * len(idx), prob.requests[r].quantity)
    # rules 4 and 5 with the whole lot's or offer's bookings (not a component's share of them)
    sources: dict[tuple[str, int], int] = {}
    caps: list[Capacity] = []
    sel, gid, start, end = [], [], [], []
    for i, p in enumerate(pairs):
        if (p.kind, p.src) not in sources:
            cap = lot_capacity(prob.stock[p.src]) if p.kind == "lot" else offer_capacity(prob.rentals[p.src])
            sources[(p.kind, p.src)] = len(caps) if cap is not None else -1
            if cap is not None:
                caps.append(cap)
        if sources[(p.kind, p.src)] >= 0:
            sel.append(i)
            gid.append(sources[(p.kind, p.src)])
            busy = busy_interval(prob, p.req)
            start.append(busy[0])
            end.append(prob.requests[p.req].end if p.kind == "offer" else busy[1])
    cols = np.array(sel, dtype=np.int64)
    _, ptr, members, cap_rhs = capacity_rows(np.array(gid, dtype=np.int64), np.array(start, dtype=np.int64),
                                             np.array(end, dtype=np.int64), caps,
                                             np.array([float(pairs[i].ub) for i in sel]))
    for j in range(len(cap_rhs)):
        row = cols[members[ptr[j]:ptr[j + 1]]].tolist()
        add_row(row, [1.0] * len(row), float(cap_rhs[j]))
    ub = np.array([p.ub for p in pairs] + [1] * len(zcols), dtype=float)
    money = np.array([p.unit_cost for p in pairs] + [pairs[i].fee for i in zcols])
    served = np.array([1.0] * n + [0.0] * len(zcols))
    prio = np.array([prob.requests[p.req].priority for p in pairs] + [0] * len(zcols), dtype=float)
    extra: list[tuple[np.ndarray, float]] = []

    def run(obj: np.ndarray, gap: float) -> np.ndarray:
        ri, rj, rv, rb = list(rows_i), list(rows_j), list(vals), list(rhs)
        for vec, bound in extra:
            nz = np.nonzero(vec)[0]
            ri.extend([len(rb)] * len(nz))
            rj.extend(nz.tolist())
            rv.extend(vec[nz].tolist())
            rb.append(bound)
        a = coo_matrix((rv, (ri, rj)), shape=(len(rb), nv)).tocsr()
        left = None if time_limit is None else max(1.0, time_limit - (time.perf_counter() - t0))
        opts: dict[str, Any] = {"mip_rel_gap": gap}
        if left is not None:
            opts["time_limit"] = left
        res = milp(obj, constraints=[LinearConstraint(a, -np.inf, np.array(rb))], integrality=np.ones(nv),
                   bounds=Bounds(np.zeros(nv), ub), options=opts)
        if res.x is None:
            raise RuntimeError(f"baseline: {res.message}")
        return np.round(res.x)

    status = "optimal"
    if policy == "tiered":
        for vec in (-prio * served, np.array([1.0 if p.tier == "rental" else 0.0 for p in pairs] + [0.0] * len(zcols)),
                    np.array([1.0 if p.tier == "idle" else 0.0 for p in pairs] + [0.0] * len(zcols))):
            x = run(vec, 0.0)
            extra.append((vec, float(vec @ x) + 0.5))
        x = run(money, 1e-9)
        total_w = sum(r.priority * r.quantity for r in prob.requests)
        objective = {"weighted_unmet": int(round(total_w - (prio * served) @ x)),
                     "rental_units": int(round(extra[1][0] @ x)), "idle_units": int(round(extra[2][0] @ x)),
                     "money": float(money @ x)}
    else:
        unmet_c = np.array([prob.requests[p.req].unmet_cost for p in pairs] + [0.0] * len(zcols))
        const = sum(r.unmet_cost * r.quantity for r in prob.requests)
        x = run(money - unmet_c * served, 1e-9)
        objective = {"total": float(const + (money - unmet_c * served) @ x)}
    dt = time.perf_counter() - t0
    if time_limit is not None and dt >= time_limit:
        status = "time limit"
    return {"seconds": dt, "objective": objective, "status": status, "variables": nv, "rows": len(rhs),
            "maxrss_mib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024}


def _sub(kind: str, size: str, seed: int, policy: str, booked: bool, time_limit: float | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", kind, size, str(seed), policy, "yes" if booked else "no"]
    if time_limit is not None:
        cmd += ["--time-limit", str(time_limit)]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    for k, v in a.items():
        w = b.get(k)
        if isinstance(v, float) or isinstance(w, float):
            if w is None or abs(v - w) > 1e-6 * max(abs(v), abs(w), 1.0):
                return False
        elif v != w:
            return False
    return True


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _variant(args: argparse.Namespace, size: str, policy: str, booked: bool) -> dict[str, Any]:
    """Bench one (size, policy, bookings) and print its figures; returns its row of the summary."""
    runs = [_sub("matcher", size, args.seed, policy, booked, args.time_limit) for _ in range(args.runs)]
    med = statistics.median(r["seconds"] for r in runs)
    r0 = runs[0]
    label = "with bookings" if booked else "without bookings"
    print(f"== {size}, policy {policy}, {label} (seed {args.seed}); load average {_load()} ==")
    times = ", ".join(f"{r['seconds']:.3f}" for r in runs)
    statuses = sorted({r["status"] for r in runs})
    rss = max(r["maxrss_mib"] for r in runs)
    print(f"matcher: median {med:.3f} s over {len(runs)} runs [{times}], status {statuses}, "
          f"peak RSS {rss:.0f} MiB, check errors {max(r['check_errors'] for r in runs)}")
    print(f"  objective {r0['objective']}")
    print(f"  supplied by tier {r0['tiers']}, unmet {r0['unmet']}; solver {r0['solver']}")
    row = {"size": size, "policy": policy, "bookings": "yes" if booked else "no", "median": med,
           "range": (min(r["seconds"] for r in runs), max(r["seconds"] for r in runs)), "runs": len(runs),
           "status": "/".join(statuses), "rss": rss, "baseline": None, "ratio": None}
    if args.no_baseline or (size == "province" and not args.baseline_province):
        print("  baseline: skipped (use --baseline-province at province size)")
        return row
    bl = [_sub("baseline", size, args.seed, policy, booked, args.baseline_time_limit)
          for _ in range(args.baseline_runs)]
    bmed = statistics.median(b["seconds"] for b in bl)
    agree = _same(r0["objective"], bl[0]["objective"])
    print(f"scipy HiGHS plain MILP: median {bmed:.3f} s over {len(bl)} runs, {bl[0]['variables']} variables, "
          f"{bl[0]['rows']} rows, status {bl[0]['status']}, peak RSS {bl[0]['maxrss_mib']:.0f} MiB")
    print(f"  objective {bl[0]['objective']} -> {'agrees' if agree else 'DIFFERS'}")
    print(f"ratio baseline / matcher: {bmed / med:.1f}x")
    row.update(baseline=f"{bmed:.1f} s, {'agrees' if agree else 'DIFFERS'}", ratio=f"{bmed / med:.1f}x")
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["city"], choices=["city", "province"])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policies", nargs="+", choices=["tiered", "cost"], default=["tiered", "cost"])
    ap.add_argument("--booked", choices=["no", "yes", "both"], default="both",
                    help="problems without bookings, with them (and serves), or both (the default)")
    ap.add_argument("--baseline-runs", type=int, default=1)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-province", action="store_true", help="also run the (very slow) baseline at province size")
    ap.add_argument("--baseline-time-limit", type=float, default=None)
    ap.add_argument("--one", nargs=5, metavar=("KIND", "SIZE", "SEED", "POLICY", "BOOKED"), help=argparse.SUPPRESS)
    ap.add_argument("--time-limit", type=float, default=None)
    args = ap.parse_args()
    if args.one:
        kind, size, seed, policy, booked = args.one
        fn = one_run if kind == "matcher" else baseline
        print(json.dumps(fn(size, int(seed), policy, booked == "yes", args.time_limit), ensure_ascii=False))
        return
    variants = [False, True] if args.booked == "both" else [args.booked == "yes"]
    load_before = _load()
    rows = [_variant(args, size, policy, booked)
            for size in args.sizes for policy in args.policies for booked in variants]
    print(f"\nload average before {load_before}, after {_load()} (1, 5, 15 min; {os.cpu_count()} cores)")
    print("| size | policy | bookings | matcher median | runs (min-max) | status | peak RSS | HiGHS plain MILP | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {r['policy']} | {r['bookings']} | {r['median']:.3f} s | {r['runs']} "
              f"({r['range'][0]:.2f}-{r['range'][1]:.2f}) | {r['status']} | {r['rss']:.0f} MiB | "
              f"{r['baseline'] or 'skipped'} | {r['ratio'] or '-'} |")


if __name__ == "__main__":
    main()
