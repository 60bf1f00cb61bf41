"""Search benchmark: full reindex, query latency with facets and filters, LIKE baseline, upsert visibility.

    .venv/bin/python bench/search_bench.py            # 100,000 listings
    .venv/bin/python bench/search_bench.py --million  # also 1,000,000 (long)

Figures are printed, never asserted. Latencies go through the search interface (SearchQuery → SearchResult,
hits with highlighting), the LIKE baseline runs the same queries as a naive scan in SQLite in the same run.
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_gen import LIKE_TERMS, QUERIES, generate  # noqa: E402

import search  # noqa: E402
from search import text as tx  # noqa: E402

ALL_FACETS = tuple(search.FACET_FIELDS)


def queries() -> list[search.SearchQuery]:
    """Mixed queries, each with all six facets and a rotating set of filters and sorts."""
    out = []
    for i, q in enumerate(QUERIES):
        for j in range(4):
            k = i + j
            out.append(search.SearchQuery(
                q=q, facets=ALL_FACETS, tier=["idle", None, "warehouse", None][k % 4],
                district=[None, "涪城区", None][k % 3], category=["A0501", None, None, None, "A0202"][k % 5],
                available_from="2026-12-01" if k % 4 == 0 else None, available_to="2027-01-15" if k % 4 == 0 else None,
                sort=["relevance", "distance", "newest", "relevance"][j], origin=(31.46, 104.74), per_page=20))
    return out


def pct(values: list[float], p: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def clear_caches() -> None:
    for f in (tx.index_tokens, tx._cut, tx.pinyin_keys):
        f.cache_clear()


def build(docs, processes: int, runs: int):
    times = []
    backend = None
    for _ in range(runs):
        clear_caches()
        backend = None
        gc.collect()
        b = search.open_backend("embedded")
        t = time.perf_counter()
        b.index(docs, processes=processes)
        times.append(time.perf_counter() - t)
        backend = b
    return backend, times


def latency(fn, qs, passes: int, warm: bool = True) -> tuple[float, float]:
    for q in qs if warm else ():  # warm-up pass
        fn(q)
    p50s, p95s = [], []
    for _ in range(passes):
        lat = []
        for q in qs:
            t = time.perf_counter()
            fn(q)
            lat.append((time.perf_counter() - t) * 1000)
        p50s.append(pct(lat, 50))
        p95s.append(pct(lat, 95))
    return statistics.median(p50s), statistics.median(p95s)


def like_db(docs) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE l (id TEXT, title TEXT, description TEXT, category_code TEXT, category_name TEXT, brand TEXT,"
               " model TEXT, tier TEXT, district TEXT, holder TEXT, afrom TEXT, auntil TEXT, created TEXT, lat REAL, lng REAL)")
    db.executemany("INSERT INTO l VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", [
        (d["id"], d["title"], d["description"], d["category_code"], d["category_name"], d["brand"], d["model"], d["tier"],
         d["district"], d["holder"], d["available_from"], d["available_until"], d["created_at"], d["lat"], d["lng"])
        for d in docs])
    return db


def like_search(db: sqlite3.Connection, q: search.SearchQuery) -> None:
    """The naive baseline: every query word as LIKE '%word%' over the text columns, same filters and facets."""
    words = LIKE_TERMS.get(q.q, q.q).split()
    where, args = [], []
    for w in words:
        where.append("(title LIKE ? OR description LIKE ? OR category_name LIKE ? OR brand LIKE ? OR model LIKE ?)")
        args += [f"%{w}%"] * 5
    for col, v in (("tier", q.tier), ("district", q.district)):
        if v:
            where.append(f"{col} = ?")
            args.append(v)
    if q.category:
        where.append("category_code LIKE ?")
        args.append(q.category + "%")
    if q.available_from:
        where.append("(auntil IS NULL OR auntil >= ?) AND (afrom IS NULL OR afrom <= ?)")
        args += [q.available_from, q.available_to]
    w = " AND ".join(where) or "1"
    order = "created DESC" if q.sort != "distance" else "(lat-31.46)*(lat-31.46)+(lng-104.74)*(lng-104.74)"
    db.execute(f"SELECT * FROM l WHERE {w} ORDER BY {order} LIMIT 20", args).fetchall()
    db.execute(f"SELECT count(*) FROM l WHERE {w}", args).fetchone()
    for col in ("category_code", "district", "holder", "tier"):
        db.execute(f"SELECT {col}, count(*) FROM l WHERE {w} GROUP BY {col}", args).fetchall()


def upsert_latency(b, docs, n: int = 20, tag: str = "QX") -> tuple[float, float]:
    """From index() of one new listing to it being found by a search (ms): median, max."""
    lat = []
    for i in range(n):
        code = f"{tag}{i:04d}Z"
        doc = dict(docs[i], id=f"NEW-{code}", title=f"闪电牌会议椅 {code}")
        t = time.perf_counter()
        b.index([doc])
        while not any(h["id"] == doc["id"] for h in b.search(search.SearchQuery(q=code)).hits):
            pass
        lat.append((time.perf_counter() - t) * 1000)
    return statistics.median(lat), max(lat)


def persisted_upsert(docs) -> tuple[float, float, float, float]:
    """The same on an index persisted to a directory (each write appends to the journal); snapshot time."""
    with tempfile.TemporaryDirectory() as tmp:
        b = search.open_backend("embedded", path=Path(tmp) / "idx")
        b.index(docs)
        t = time.perf_counter()
        b.flush()
        snapshot = time.perf_counter() - t
        med, worst = upsert_latency(b, docs, tag="PX")
        b.close()
        t = time.perf_counter()
        b = search.open_backend("embedded", path=Path(tmp) / "idx")
        load = time.perf_counter() - t
        assert b.count() == len(docs) + 20
    return med, worst, snapshot, load


def run(n: int, runs: int, processes: int, passes: int) -> None:
    print(f"\n=== {n:,} listings (cpu count {os.cpu_count()}, processes {processes}) ===", flush=True)
    t = time.perf_counter()
    docs = generate(n)
    print(f"generate: {time.perf_counter() - t:.1f} s; distinct titles {len({d['title'] for d in docs}):,}, "
          f"chars {sum(len(d['title']) + len(d['description']) for d in docs):,}", flush=True)
    backend, times = build(docs, processes, runs)
    print(f"full reindex incl. segmentation: median {statistics.median(times):.1f} s  runs {[round(x, 1) for x in times]}",
          flush=True)
    qs = queries()
    gc.collect()
    gc.freeze()  # what a long-running server does after loading; keeps the collector off the index
    p50, p95 = latency(backend.search, qs, passes)
    print(f"embedded search ({len(qs)} queries, 6 facets + filters): p50 {p50:.2f} ms  p95 {p95:.2f} ms", flush=True)
    sub = qs[::4]  # the LIKE scan is slow: a quarter of the queries, the engine timed on the same ones
    sp50, sp95 = latency(backend.search, sub, passes)
    db = like_db(docs)
    lp50, lp95 = latency(lambda q: like_search(db, q), sub, 1 if n > 200_000 else 2, warm=n <= 200_000)
    print(f"LIKE '%…%' baseline ({len(sub)} queries): p50 {lp50:.1f} ms  p95 {lp95:.1f} ms; engine on the same "
          f"p50 {sp50:.2f} ms  p95 {sp95:.2f} ms → speed-up p50 {lp50 / sp50:.0f}×  p95 {lp95 / sp95:.0f}×", flush=True)
    db.close()
    med, worst = upsert_latency(backend, docs)
    print(f"single upsert → found by search (in memory): median {med:.2f} ms  max {worst:.2f} ms", flush=True)
    del backend
    gc.unfreeze()
    gc.collect()
    if n <= 200_000:
        med, worst, snap, load = persisted_upsert(docs)
        print(f"single upsert → found by search (persisted, journal append): median {med:.2f} ms  max {worst:.2f} ms;"
              f" snapshot write {snap:.1f} s, reopen {load:.1f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--million", action="store_true", help="also run 1,000,000 listings (long)")
    ap.add_argument("--runs", type=int, default=3, help="index builds per size (median reported)")
    ap.add_argument("--passes", type=int, default=5, help="timed query passes (median of p50/p95 reported)")
    ap.add_argument("--processes", type=int, default=1, help="segmentation processes for the full reindex")
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--only-million", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if not a.only_million:
        run(a.size, a.runs, a.processes, a.passes)
    if a.million:
        run(1_000_000, 1, a.processes, 3)  # one build: it is long


if __name__ == "__main__":
    main()
