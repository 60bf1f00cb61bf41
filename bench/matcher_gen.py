"""Deterministic generator of realistic allocation problems (docs/matching.md, format version 1).

Two sizes: ``city`` (~200 requests, 3,000 stock lots, 60 rental offers, 40 categories,
90-day horizon) and ``province`` (~2,000 requests, 30,000 lots, 400 offers). Loans and
permanent transfers (调剂) mix; warehouse stock sits in a few 公物仓 warehouses, idle items
at the units that own them, some of them needed back on a date. Supply is scarcer than
demand, so every tier (warehouse, idle, rental) is used and some demand stays unmet.

With ``booked=True`` (``--booked``) the same problem also carries the contract's ``booked`` and
``serves``: about a third of the lots and of the offers have one to three bookings, placed on the
days their category is in demand (a request's days, or the days before it) so that they bind; a few
lot bookings are for good (``end`` null), some hold more than the lot or offer has; some idle lots
serve loans only or transfers only. Everything else is the problem without them, drawn from the same
random stream (the bookings come from a stream of their own).

    python bench/matcher_gen.py city -o city.json [--seed 1] [--booked]
"""

from __future__ import annotations

import argparse
import json
import math
import random
from datetime import date, timedelta
from typing import Any

SIZES: dict[str, dict[str, Any]] = {
    "city": {"requests": 200, "lots": 3000, "offers": 60, "categories": 40, "units": 120, "warehouses": 4,
             "center": (30.6586, 104.0647), "radius_km": 35.0, "horizon": 90, "wh_qty": 4, "idle_qty": 3},
    "province": {"requests": 2000, "lots": 30000, "offers": 400, "categories": 80, "units": 900,
                 "warehouses": 24, "center": (30.6586, 104.0647), "radius_km": 300.0, "horizon": 90,
                 "wh_qty": 2, "idle_qty": 1},
}

START = date(2027, 3, 1)

_DEPTS = ["教育局", "卫生健康委员会", "财政局", "公安局", "民政局", "自然资源局", "生态环境局", "住房和城乡建设局",
          "交通运输局", "水务局", "农业农村局", "商务局", "文化广电旅游局", "应急管理局", "审计局", "统计局",
          "医疗保障局", "体育局", "机关事务管理局", "人力资源和社会保障局", "市场监督管理局", "司法局", "档案馆",
          "图书馆", "第一中学", "第二中学", "实验小学", "人民医院", "中医医院", "疾病预防控制中心", "博物馆",
          "科技馆", "政务服务中心", "党校", "职业技术学院", "气象局", "税务局", "消防救援支队", "城市管理局",
          "退役军人事务局"]
_PLACES = ["市", "锦江区", "青羊区", "金牛区", "武侯区", "成华区", "龙泉驿区", "新都区", "温江区", "双流区", "郫都区",
           "新津区", "简阳市", "都江堰市", "彭州市", "邛崃市", "崇州市", "金堂县", "大邑县", "蒲江县"]
_VENDOR_HEADS = ["蓉城", "天府", "锦程", "川西", "恒信", "安达", "鑫源", "华泰", "宏远", "众合", "顺通", "金盾"]
_VENDOR_TAILS = ["租赁有限公司", "设备租赁公司", "会展服务有限公司", "办公设备租赁中心", "家具租赁有限公司"]
# (code, name, transport rate yuan/unit/km, daily rental price)
_CATEGORY_KINDS = [
    ("A02010104", "台式计算机", 0.6, 12.0), ("A02010105", "便携式计算机", 0.3, 15.0),
    ("A02021003", "激光打印机", 0.5, 8.0), ("A02061504", "投影仪", 0.4, 25.0),
    ("A05010201", "办公椅", 0.8, 3.0), ("A05010301", "会议桌", 1.5, 10.0),
    ("A05010502", "文件柜", 1.2, 4.0), ("A02052301", "空调机", 1.0, 30.0),
    ("A02100301", "帐篷", 0.9, 20.0), ("A02080101", "发电机组", 2.0, 80.0),
]


def _point(rng: random.Random, center: tuple[float, float], radius_km: float) -> list[float]:
    r = radius_km * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    lat = center[0] + (r * math.cos(a)) / 111.195
    lon = center[1] + (r * math.sin(a)) / (111.195 * math.cos(math.radians(center[0])))
    return [round(lat, 5), round(lon, 5)]


def _day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


def generate(size: str = "city", seed: int = 1, policy: str = "tiered", booked: bool = False) -> dict[str, Any]:
    """A problem of the given size; the same (size, seed, policy, booked) always gives the same problem."""
    cfg = SIZES[size]
    rng = random.Random(f"{size}-{seed}")
    horizon = cfg["horizon"]
    center, radius = cfg["center"], cfg["radius_km"]

    cats = []
    for i in range(cfg["categories"]):
        code, name, rate, price = _CATEGORY_KINDS[i % len(_CATEGORY_KINDS)]
        cats.append({"code": f"{code[:-2]}{i:02d}" if i >= len(_CATEGORY_KINDS) else code, "name": name,
                     "rate": rate, "price": price, "weight": rng.uniform(0.4, 1.6)})
    rates = {c["code"]: c["rate"] for c in cats[: len(cats) // 2]}
    rates["*"] = 0.7
    units = [{"name": f"{rng.choice(_PLACES)}{_DEPTS[i % len(_DEPTS)]}" + ("" if i < len(_DEPTS) else f"{i}"),
              "loc": _point(rng, center, radius)} for i in range(cfg["units"])]
    warehouses = [{"name": f"公物仓{i + 1}号库", "loc": _point(rng, center, radius * 0.6),
                   "handling": round(rng.uniform(1.0, 4.0), 2)} for i in range(cfg["warehouses"])]
    cat_weights = [c["weight"] for c in cats]

    requests = []
    demand = {c["code"]: 0 for c in cats}
    for i in range(cfg["requests"]):
        c = rng.choices(cats, cat_weights)[0]
        u = rng.choice(units)
        start = rng.randrange(horizon)
        permanent = rng.random() < 0.2
        qty = rng.randint(4, 25) if permanent else rng.choice([rng.randint(10, 40), rng.randint(30, 120)])
        end = None if permanent else min(horizon + 14, start + rng.choice([0, 1, 2, 2, 3, 4, 6, 9, 13, 20, 29]))
        demand[c["code"]] += qty
        requests.append({
            "id": f"R{i + 1:05d}", "unit": u["name"], "category": c["code"], "quantity": qty,
            "start": _day(start), "end": None if end is None else _day(end),
            "location": _point(rng, tuple(u["loc"]), 3.0), "priority": rng.choice([1, 1, 1, 2, 2, 3]),
            "unmet_cost": round(c["price"] * rng.uniform(25, 40), 2),
        })

    # Stock: per category, proportional to its demand but scarcer than the peak need.
    stock = []
    wsum = sum(demand.values()) or 1
    for i in range(cfg["lots"]):
        c = rng.choices(cats, [demand[x["code"]] + 1 for x in cats])[0]
        if rng.random() < 0.3:
            w = rng.choice(warehouses)
            lot = {"id": f"K{i + 1:06d}", "tier": "warehouse", "holder": w["name"], "category": c["code"],
                   "quantity": rng.randint(1, cfg["wh_qty"]), "location": w["loc"], "available_from": None,
                   "available_until": None, "handling_cost": w["handling"]}
        else:
            u = rng.choice(units)
            af = _day(rng.randrange(horizon // 2)) if rng.random() < 0.25 else None
            au = _day(rng.randrange(horizon // 3, horizon + 30)) if rng.random() < 0.35 else None
            if af is not None and au is not None and au < af:
                af, au = au, af
            lot = {"id": f"K{i + 1:06d}", "tier": "idle", "holder": u["name"], "category": c["code"],
                   "quantity": rng.randint(1, cfg["idle_qty"]), "location": _point(rng, tuple(u["loc"]), 0.5),
                   "available_from": af, "available_until": au,
                   "handling_cost": round(rng.uniform(0.0, 6.0), 2)}
        stock.append(lot)
    del wsum

    rentals = []
    for i in range(cfg["offers"]):
        c = rng.choices(cats, [demand[x["code"]] + 1 for x in cats])[0]
        rentals.append({
            "id": f"M{i + 1:05d}", "vendor": f"{rng.choice(_VENDOR_HEADS)}{rng.choice(_VENDOR_TAILS)}",
            "category": c["code"], "capacity": None if rng.random() < 0.1 else rng.randint(5, 40),
            "price_per_unit_day": round(c["price"] * rng.uniform(0.7, 1.4), 2),
            "delivery_fee": float(rng.choice([0, 100, 200, 300, 500, 800])),
            "location": _point(rng, center, radius),
        })
    if booked:
        _add_bookings(random.Random(f"{size}-{seed}-booked"), requests, stock, rentals)
    return {"version": 1, "policy": policy, "turnaround_days": 1, "transport": {"per_unit_km": rates},
            "requests": requests, "stock": stock, "rentals": rentals}


def _add_bookings(rng: random.Random, requests: list[dict[str, Any]], stock: list[dict[str, Any]],
                  rentals: list[dict[str, Any]]) -> None:
    """``booked`` on about a third of the lots and offers, on days their category is asked for; ``serves``
    on some idle lots."""
    asked: dict[str, list[dict[str, Any]]] = {}
    for r in requests:
        asked.setdefault(r["category"], []).append(r)

    def booking(cat: str, units: int, for_good: bool) -> dict[str, Any]:
        r = rng.choice(asked[cat])
        start = date.fromisoformat(r["start"]) + timedelta(days=rng.randint(-6, 3))
        if for_good:
            return {"start": start.isoformat(), "end": None, "quantity": units}
        end = start + timedelta(days=rng.choice([0, 1, 2, 3, 5, 8, 13]))
        return {"start": start.isoformat(), "end": end.isoformat(), "quantity": units}

    for lot in stock:
        if lot["category"] in asked and rng.random() < 1 / 3:
            q = lot["quantity"]
            lot["booked"] = [booking(lot["category"], rng.randint(1, q + 1 if rng.random() < 0.1 else q),
                                     lot["available_until"] is None and rng.random() < 0.1)
                             for _ in range(rng.randint(1, 3))]
        if lot["tier"] == "idle":
            u = rng.random()
            if u < 0.1:
                lot["serves"] = "loan"
            elif u < 0.15:
                lot["serves"] = "transfer"
    for offer in rentals:
        if offer["category"] in asked and rng.random() < 1 / 3:
            cap = offer["capacity"] or 40
            offer["booked"] = [booking(offer["category"], rng.randint(max(1, cap // 3), cap + 2), False)
                               for _ in range(rng.randint(1, 3))]


def main() -> None:
    ap = argparse.ArgumentParser(description="生成调配问题（docs/matching.md 格式）")
    ap.add_argument("size", choices=sorted(SIZES))
    ap.add_argument("-o", "--output")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policy", choices=["tiered", "cost"], default="tiered")
    ap.add_argument("--booked", action="store_true", help="with bookings (booked) and serves")
    args = ap.parse_args()
    text = json.dumps(generate(args.size, args.seed, args.policy, args.booked), ensure_ascii=False, indent=1)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
