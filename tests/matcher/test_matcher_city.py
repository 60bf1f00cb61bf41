"""The generated city-size problem, without and with bookings and serves: solved to proven
optimality, and `python -m matcher check` accepts the solution `python -m matcher solve` writes
(province size: bench/matcher_bench.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import matcher
from matcher.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from matcher_gen import generate  # noqa: E402


@pytest.mark.parametrize("booked", [False, True], ids=["plain", "booked"])
@pytest.mark.parametrize("policy", ["tiered", "cost"])
def test_city_solution_passes_check(tmp_path: Path, policy: str, booked: bool) -> None:
    problem = generate("city", seed=1, policy=policy, booked=booked)
    assert generate("city", seed=1, policy=policy, booked=booked) == problem  # deterministic
    if booked:  # the same problem plus bookings and serves
        plain = generate("city", seed=1, policy=policy)
        assert [{k: v for k, v in lot.items() if k not in ("booked", "serves")} for lot in problem["stock"]] \
            == plain["stock"]
        assert 0.25 < sum("booked" in lot for lot in problem["stock"]) / len(problem["stock"]) < 0.4
        assert {lot.get("serves", "any") for lot in problem["stock"]} == {"any", "loan", "transfer"}
    pf, sf = tmp_path / "city.json", tmp_path / "sol.json"
    pf.write_text(json.dumps(problem, ensure_ascii=False), encoding="utf-8")
    assert main(["solve", str(pf), "-o", str(sf)]) == 0
    assert main(["check", str(pf), str(sf)]) == 0
    sol = json.loads(sf.read_text(encoding="utf-8"))
    assert sol["status"] == "optimal"
    assert matcher.check(problem, sol) == []
    if policy == "tiered":
        # demand contests supply: every tier is used and some demand stays unmet
        tiers = {a["tier"] for a in sol["assignments"]}
        assert tiers == {"warehouse", "idle", "rental"}
        assert sol["unmet"]
        assert len(problem["requests"]) == 200 and len(problem["stock"]) == 3000
        assert len(problem["rentals"]) == 60
