"""Malformed problems: one clear line naming the record and the field, exit status 2, no traceback."""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcher
from matcher.cli import main

ROOT = Path(__file__).resolve().parents[2]

GOOD: dict[str, Any] = {
    "version": 1, "policy": "tiered", "turnaround_days": 1,
    "transport": {"per_unit_km": {"C": 0.8}},
    "requests": [
        {"id": "R1", "category": "C", "quantity": 5, "start": "2026-12-01", "end": "2026-12-03",
         "location": [30.0, 104.0], "priority": 2, "unmet_cost": 10.0},
        {"id": "R2", "category": "C", "quantity": 2, "start": "2026-12-02", "end": None,
         "location": [30.1, 104.1]},
    ],
    "stock": [{"id": "K1", "tier": "warehouse", "category": "C", "quantity": 4, "location": [30.0, 104.0],
               "available_from": "2026-11-01", "available_until": None, "handling_cost": 1.0,
               "booked": [{"start": "2026-12-02", "end": "2026-12-02", "quantity": 1},
                          {"start": "2027-01-01", "end": None, "quantity": 4}],
               "serves": "any"}],
    "rentals": [{"id": "M1", "category": "C", "capacity": None, "price_per_unit_day": 3.0, "delivery_fee": 5.0,
                 "location": [30.0, 104.0], "booked": [{"start": "2026-12-01", "end": "2026-12-01", "quantity": 2}]}],
}


def mutate(path: list[Any], value: Any = ..., delete: bool = False) -> dict[str, Any]:
    p = copy.deepcopy(GOOD)
    obj = p
    for key in path[:-1]:
        obj = obj[key]
    if delete:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value
    return p


CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # (name, problem, record in message, field in message)
    ("missing field", mutate(["requests", 0, "quantity"], delete=True), "requests[0]（id=R1）", "quantity"),
    ("missing end", mutate(["requests", 0, "end"], delete=True), "requests[0]（id=R1）", "end"),
    ("wrong type", mutate(["requests", 1, "quantity"], "2"), "requests[1]（id=R2）", "quantity"),
    ("float quantity", mutate(["requests", 1, "quantity"], 2.5), "requests[1]（id=R2）", "quantity"),
    ("zero request quantity", mutate(["requests", 1, "quantity"], 0), "requests[1]（id=R2）", "quantity"),
    ("negative stock quantity", mutate(["stock", 0, "quantity"], -1), "stock[0]（id=K1）", "quantity"),
    ("negative cost", mutate(["stock", 0, "handling_cost"], -0.5), "stock[0]（id=K1）", "handling_cost"),
    ("negative fee", mutate(["rentals", 0, "delivery_fee"], -5), "rentals[0]（id=M1）", "delivery_fee"),
    ("capacity zero", mutate(["rentals", 0, "capacity"], 0), "rentals[0]（id=M1）", "capacity"),
    ("end before start", mutate(["requests", 0, "end"], "2026-11-30"), "requests[0]（id=R1）", "end"),
    ("duplicate id", mutate(["rentals", 0, "id"], "R2"), "rentals[0]（id=R2）", "id"),
    ("latitude", mutate(["stock", 0, "location"], [90.5, 104.0]), "stock[0]（id=K1）", "location"),
    ("longitude", mutate(["requests", 0, "location"], [30.0, -180.01]), "requests[0]（id=R1）", "location"),
    ("location shape", mutate(["requests", 0, "location"], [30.0]), "requests[0]（id=R1）", "location"),
    ("no rate", mutate(["stock", 0, "category"], "X"), "stock[0]（id=K1）", "category"),
    ("version", mutate(["version"], 2), "问题顶层", "version"),
    ("version missing", mutate(["version"], delete=True), "问题顶层", "version"),
    ("policy", mutate(["policy"], "cheapest"), "问题顶层", "policy"),
    ("tier", mutate(["stock", 0, "tier"], "rental"), "stock[0]（id=K1）", "tier"),
    ("bad date", mutate(["requests", 0, "start"], "2026-02-30"), "requests[0]（id=R1）", "start"),
    ("bad date format", mutate(["stock", 0, "available_from"], "2026/11/01"), "stock[0]（id=K1）",
     "available_from"),
    ("priority", mutate(["requests", 0, "priority"], 0), "requests[0]（id=R1）", "priority"),
    ("turnaround", mutate(["turnaround_days"], -1), "问题顶层", "turnaround_days"),
    ("rate", mutate(["transport", "per_unit_km", "C"], -1), "transport.per_unit_km", "C"),
    ("transport missing", mutate(["transport"], delete=True), "问题顶层", "transport"),
    ("requests not list", mutate(["requests"], {}), "问题顶层", "requests"),
    ("bool quantity", mutate(["stock", 0, "quantity"], True), "stock[0]（id=K1）", "quantity"),
    # booked (docs/matching.md, "Bookings") and serves
    ("booking end before start", mutate(["stock", 0, "booked", 0, "end"], "2026-12-01"), "stock[0]（id=K1）",
     "booked[0].end"),
    ("rental booking end before start", mutate(["rentals", 0, "booked", 0, "end"], "2026-11-30"),
     "rentals[0]（id=M1）", "booked[0].end"),
    ("rental booking without end", mutate(["rentals", 0, "booked", 0, "end"], None), "rentals[0]（id=M1）",
     "booked[0].end"),
    ("booking end missing", mutate(["stock", 0, "booked", 1, "end"], delete=True), "stock[0]（id=K1）",
     "booked[1].end"),
    ("booking start missing", mutate(["rentals", 0, "booked", 0, "start"], delete=True), "rentals[0]（id=M1）",
     "booked[0].start"),
    ("booking quantity missing", mutate(["stock", 0, "booked", 0, "quantity"], delete=True), "stock[0]（id=K1）",
     "booked[0].quantity"),
    ("booking start null", mutate(["stock", 0, "booked", 0, "start"], None), "stock[0]（id=K1）", "booked[0].start"),
    ("booking bad date", mutate(["stock", 0, "booked", 1, "start"], "2027-02-29"), "stock[0]（id=K1）",
     "booked[1].start"),
    ("booking quantity zero", mutate(["rentals", 0, "booked", 0, "quantity"], 0), "rentals[0]（id=M1）",
     "booked[0].quantity"),
    ("booking quantity float", mutate(["stock", 0, "booked", 0, "quantity"], 1.5), "stock[0]（id=K1）",
     "booked[0].quantity"),
    ("booking not an object", mutate(["stock", 0, "booked", 1], "2027-01-01"), "stock[0]（id=K1）", "booked[1]"),
    ("booked not a list", mutate(["rentals", 0, "booked"], {"start": "2026-12-01"}), "rentals[0]（id=M1）",
     "booked"),
    ("serves unknown", mutate(["stock", 0, "serves"], "lend"), "stock[0]（id=K1）", "serves"),
    ("serves null", mutate(["stock", 0, "serves"], None), "stock[0]（id=K1）", "serves"),
    ("serves not a string", mutate(["stock", 0, "serves"], ["loan"]), "stock[0]（id=K1）", "serves"),
]


@pytest.mark.parametrize("name,prob,record,field", CASES, ids=[c[0] for c in CASES])
def test_validation_names_record_and_field(name: str, prob: dict[str, Any], record: str, field: str) -> None:
    with pytest.raises(matcher.ProblemError) as info:
        matcher.validate(prob)
    err = info.value
    msg = str(err)
    assert msg.startswith("错误：") and "\n" not in msg
    assert record in msg and field in msg, msg
    assert err.field == field or err.record.endswith(field) or field in err.record


NEW_CASES = [c for c in CASES if c[3].startswith(("booked", "serves"))]


@pytest.mark.parametrize("name,prob,record,field", NEW_CASES, ids=[c[0] for c in NEW_CASES])
@pytest.mark.parametrize("cmd", ["solve", "check"])
def test_cli_exits_2_naming_booked_and_serves(tmp_path: Path, cmd: str, name: str, prob: dict[str, Any],
                                              record: str, field: str) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps(prob, ensure_ascii=False), encoding="utf-8")
    sol = tmp_path / "s.json"
    sol.write_text("{}", encoding="utf-8")
    rc, out, err = run_cli([cmd, str(f)] + ([str(sol)] if cmd == "check" else []))
    assert rc == 2 and out == ""
    assert err.startswith("错误：") and err.count("\n") == 1 and "Traceback" not in err, err
    assert f"{record}的字段 {field} " in err, err


def test_booked_and_serves_may_be_left_out_or_null() -> None:
    p = copy.deepcopy(GOOD)
    del p["stock"][0]["serves"], p["rentals"][0]["booked"]
    p["stock"][0]["booked"] = None
    prob = matcher.validate(p)
    assert prob.stock[0].serves == "any" and prob.stock[0].booked == () and prob.rentals[0].booked == ()
    # a booking on an offer of unlimited capacity is read (and changes nothing, see the hand-made cases)
    assert len(matcher.validate(GOOD).rentals[0].booked) == 1


def test_booking_messages() -> None:
    with pytest.raises(matcher.ProblemError) as info:
        matcher.validate(mutate(["rentals", 0, "booked", 0, "end"], None))
    assert str(info.value).startswith("错误：rentals[0]（id=M1）的字段 booked[0].end 不能为 null")
    with pytest.raises(matcher.ProblemError) as info:
        matcher.validate(mutate(["stock", 0, "booked", 0, "end"], "2026-12-01"))
    assert str(info.value) == "错误：stock[0]（id=K1）的字段 booked[0].end 早于 start"


def test_example_message_format() -> None:
    with pytest.raises(matcher.ProblemError) as info:
        matcher.validate(mutate(["requests", 0, "end"], "2026-11-30"))
    assert str(info.value) == "错误：requests[0]（id=R1）的字段 end 早于 start"
    assert info.value.record == "requests[0]（id=R1）" and info.value.field == "end"


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(args)
        except SystemExit as exc:
            rc = int(exc.code or 0)
    return rc, out.getvalue(), err.getvalue()


def test_bad_json_exits_2(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    for text in ["{", "", "[1, 2", '{"version": NaN}', "\xff\xfe", "null", "[]", '"x"']:
        f.write_bytes(text.encode("latin-1"))
        rc, out, err = run_cli(["solve", str(f)])
        assert rc == 2 and err.count("\n") == 1 and err.startswith("错误："), (text, err)


def test_missing_file_and_bad_args(tmp_path: Path) -> None:
    rc, _, err = run_cli(["solve", str(tmp_path / "nope.json")])
    assert rc == 2 and err.startswith("错误：") and err.count("\n") == 1
    rc, _, err = run_cli(["frobnicate"])
    assert rc == 2 and err.count("\n") == 1


def test_subprocess_exit_2_without_traceback(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps(mutate(["requests", 0, "end"], "2026-11-30"), ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, "-m", "matcher", "solve", str(f)], capture_output=True, text=True,
                         env=env, cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr == "错误：requests[0]（id=R1）的字段 end 早于 start\n"
    assert "Traceback" not in res.stderr and res.stdout == ""


# ------------------------------------------------------------------ fuzzing

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["2026-12-01", "2026-13-01", "*", "C", "warehouse", "idle", "R1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


def _paths(obj: Any, prefix: list[Any]) -> list[list[Any]]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, [*prefix, k])
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, [*prefix, i])
    return out


ALL_PATHS = _paths(GOOD, [])


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    p = copy.deepcopy(GOOD)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(ALL_PATHS))
        obj: Any = p
        try:
            for key in path[:-1]:
                obj = obj[key]
            if draw(st.booleans()) and isinstance(obj, dict):
                obj.pop(path[-1], None)
            else:
                obj[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            pass
    return p


_TMP = tempfile.mkdtemp(prefix="matcher-fuzz-")


def _cli_never_crashes(text: str, run_check: Callable[[], Any] | None = None) -> None:
    f = os.path.join(_TMP, "p.json")
    with open(f, "w", encoding="utf-8") as fh:
        fh.write(text)
    rc, out, err = run_cli(["solve", f, "--time-limit", "5"])
    assert rc in (0, 2), (rc, err)
    if rc == 2:
        assert err.startswith("错误：") and err.count("\n") == 1, err
    else:
        sol = json.loads(out)
        s = os.path.join(_TMP, "s.json")
        with open(s, "w", encoding="utf-8") as fh:
            fh.write(out)
        rc2, _, err2 = run_cli(["check", f, s])
        assert rc2 == 0, err2
        assert sol["status"] == "optimal"


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutated())
def test_fuzz_mutated_problems(p: dict[str, Any]) -> None:
    _cli_never_crashes(json.dumps(p, ensure_ascii=False))


@settings(max_examples=80, deadline=None, derandomize=True)
@given(json_values)
def test_fuzz_arbitrary_json(v: Any) -> None:
    _cli_never_crashes(json.dumps(v))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.text(max_size=40))
def test_fuzz_arbitrary_text(t: str) -> None:
    _cli_never_crashes(t)


@pytest.mark.parametrize("rid", ["R\n1", "\ud800", "R\u2028"])
def test_odd_ids_stay_one_line(rid: str) -> None:
    p = copy.deepcopy(GOOD)
    p["requests"][0]["id"] = rid
    p["requests"][1]["id"] = rid
    _cli_never_crashes(json.dumps(p))
    with pytest.raises(matcher.ProblemError) as info:
        matcher.validate(p)
    assert "\n" not in str(info.value)
