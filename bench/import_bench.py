"""Time the ledger import: a 10,000-row .xlsx and .csv, on SQLite and PostgreSQL.

    python bench/import_bench.py [--rows 10000] [--runs 3] [--pg URL | --no-pg]

The files are generated deterministically (seeded); half the rows carry their own 资产编号, the other half get
generated tags. Each run imports into an emptied ledger; the figure is the median wall time of
``import_assets`` (reading, checking and writing, commit included) over the runs. PostgreSQL gets a schema
of its own, created with psycopg and dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
HEADER = ["资产编号", "资产名称", "资产分类代码", "规格型号", "品牌", "数量", "原值", "取得日期", "使用状况",
          "存放地点", "使用人/保管人", "责任人", "是否涉密", "资产状态", "备注"]
CATEGORIES = [("A05010201", "会议椅"), ("A02010105", "笔记本电脑"), ("A02020100", "投影仪"), ("A05010101", "办公桌"),
              ("A02021000", "打印机"), ("A05010301", "文件柜")]
BRANDS = ["联想", "惠普", "震旦", "得力", "戴尔", "爱普生", "华为", ""]
CONDITIONS = ["全新", "良好", "良好", "良好", "一般", "待维修"]
PEOPLE = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强"]


def ledger_rows(n: int, seed: int = 20261123) -> list[list]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        code, name = CATEGORIES[rng.randrange(len(CATEGORIES))]
        rows.append([
            f"BENCH-{i:06d}" if i % 2 == 0 else "",
            f"{name}{rng.randint(1, 50)}号",
            code,
            f"型号-{rng.randint(100, 999)}",
            rng.choice(BRANDS),
            1,
            f"{rng.randint(100, 20000)}.{rng.randint(0, 99):02d}",
            date(2010, 1, 1) + timedelta(days=rng.randint(0, 5000)),
            rng.choice(CONDITIONS),
            f"办公楼{rng.randint(1, 9)}层{rng.randint(1, 30)}室",
            rng.choice(PEOPLE),
            rng.choice(PEOPLE),
            "是" if rng.random() < 0.03 else "否",
            "闲置" if rng.random() < 0.2 else "在用",
            "",
        ])
    return rows


def make_xlsx(rows: list[list]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("资产台账")
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_csv(rows: list[list], encoding: str = "gb18030") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    for r in rows:
        w.writerow([f"{c:%Y/%-m/%-d}" if isinstance(c, date) else c for c in r])
    return buf.getvalue().encode(encoding)


def seed_world(url: str) -> tuple[int, int]:
    """A unit, its asset manager and the categories; returns (unit id, user id)."""
    from market.infra.db import session_scope
    from market.models import Category, Unit, User

    with session_scope(url, write=True) as db:
        unit = Unit(code="BENCH", name="基准测试单位", district="涪城区", lat=31.46, lng=104.68)
        db.add(unit)
        db.flush()
        user = User(username="bench_mgr", display_name="基准", role="unit_manager", unit_id=unit.id,
                    password_hash="x")
        db.add(user)
        db.add_all([Category(code=c, name=n, reference_price=Decimal("100")) for c, n in CATEGORIES])
        db.commit()
        return unit.id, user.id


def empty_ledger(url: str) -> None:
    from market.infra.db import session_scope

    with session_scope(url, write=True) as db:
        db.connection().exec_driver_sql("DELETE FROM event")
        db.connection().exec_driver_sql("DELETE FROM asset")
        db.commit()


def time_imports(url: str, files: dict[str, bytes], runs: int) -> dict[str, list[float]]:
    from market.imports import import_assets
    from market.infra.db import session_scope, upgrade
    from market.models import User

    upgrade(url)
    unit_id, user_id = seed_world(url)
    out: dict[str, list[float]] = {}
    for fmt, data in files.items():
        out[fmt] = []
        for _ in range(runs):
            empty_ledger(url)
            with session_scope(url, write=True) as db:
                actor = db.get(User, user_id)
                t0 = time.perf_counter()
                result = import_assets(db, actor, unit_id, data, f"台账.{fmt}")
                out[fmt].append(time.perf_counter() - t0)
                assert result.created == len(ROWS), result
    return out


def report(label: str, timings: dict[str, list[float]], n: int) -> None:
    for fmt, ts in timings.items():
        med = statistics.median(ts)
        runs = ", ".join(f"{t:.2f}" for t in ts)
        print(f"{label:<11} {fmt:<5} {n} rows: median {med:.2f} s  ({med / n * 1e6:.0f} µs/row)  runs: {runs}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pg", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG))
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()

    global ROWS
    ROWS = ledger_rows(args.rows)
    t0 = time.perf_counter()
    files = {"xlsx": make_xlsx(ROWS), "csv": make_csv(ROWS)}
    print(f"generated {args.rows} rows: xlsx {len(files['xlsx']) / 1e6:.1f} MB, csv (GBK) "
          f"{len(files['csv']) / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")

    from market.infra.db import dispose_engines

    with tempfile.TemporaryDirectory(prefix="gwc-import-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        report("SQLite", time_imports(url, files, args.runs), args.rows)
        dispose_engines()

    if not args.no_pg:
        import psycopg

        schema = f"gwc_import_bench_{os.getpid()}"
        plain = "postgresql://" + args.pg.split("://", 1)[1]
        try:
            with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
        except psycopg.OperationalError as exc:
            print(f"PostgreSQL     skipped: {exc}".strip())
            return 0
        try:
            sep = "&" if "?" in args.pg else "?"
            url = f"{args.pg}{sep}options=-csearch_path%3D{schema}"
            report("PostgreSQL", time_imports(url, files, args.runs), args.rows)
        finally:
            dispose_engines()
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return 0


ROWS: list[list] = []

if __name__ == "__main__":
    sys.exit(main())
