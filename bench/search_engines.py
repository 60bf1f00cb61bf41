"""Which engine for the embedded backend: tantivy vs SQLite FTS5 vs numpy postings, same tokens, 100,000 docs.

    .venv/bin/python bench/search_engines.py [--size 100000]

All three index the same jieba-segmented tokens (search.embedded.analyse: jieba words, sub-words, every CJK
character, pinyin, compact model codes); segmentation is measured once and excluded from the build times.
Each query: the text match (every query word required, its alternatives ORed: word, synonyms, pinyin, Latin
typos), two filters, counts for three facets, top 20 by score. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_gen import QUERIES, generate  # noqa: E402

import search  # noqa: E402
from search import text as tx  # noqa: E402
from search.embedded import _day, analyse  # noqa: E402

FILTERS = [("tier", "idle"), ("district", "涪城区"), ("tier", "warehouse"), (None, None)]
SYN = tx.synonym_map(tx.default_synonyms())


def term(t: str) -> str:
    """One token as a plain alphanumeric term both engines keep whole (py:huiyiyi → zzpyhuiyiyi)."""
    return t.replace("py:", "zzpy")


def query_words(q: str) -> list[list[str]]:
    """Per query word, the alternative terms (word, synonyms, pinyin)."""
    out = []
    for w in tx.segment_query(q):
        alts = [w, *SYN.get(w, ())]
        if w.isascii() and w.isalpha():
            alts.append("py:" + w)
        c = tx.compact(w)
        if c != w:
            alts.append(c)
        out.append([term(a) for a in alts])
    return out


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def timed(fn, cases, passes=5):
    for c in cases:
        fn(*c)
    p50, p95 = [], []
    for _ in range(passes):
        lat = []
        for c in cases:
            t = time.perf_counter()
            fn(*c)
            lat.append((time.perf_counter() - t) * 1000)
        p50.append(pct(lat, 50))
        p95.append(pct(lat, 95))
    return statistics.median(p50), statistics.median(p95)


# ------------------------------------------------------------------ tantivy

def bench_tantivy(docs, tokens, cases):
    import tantivy

    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("text", tokenizer_name="whitespace", index_option="freq")
    for f in ("tier", "district", "category_code"):
        sb.add_text_field(f, tokenizer_name="raw", fast=True)
    for f in ("from_day", "until_day", "created"):
        sb.add_integer_field(f, fast=True, indexed=True)
    schema = sb.build()
    tmp = tempfile.mkdtemp()
    idx = tantivy.Index(schema, path=tmp)
    t = time.perf_counter()
    w = idx.writer(heap_size=200_000_000, num_threads=1)
    for d, toks in zip(docs, tokens, strict=True):
        w.add_document(tantivy.Document(
            id=d["id"], text=" ".join(term(x) for x in toks), tier=d["tier"], district=d["district"],
            category_code=d["category_code"], from_day=_day(d["available_from"], -(2**31)),
            until_day=_day(d["available_until"], 2**31 - 1), created=int(d["created_at"][:10].replace("-", ""))))
    w.commit()
    w.wait_merging_threads()
    idx.reload()
    build = time.perf_counter() - t
    searcher = idx.searcher()
    occ = tantivy.Occur

    def run(q, ff, fv):
        must = []
        for alts in query_words(q):
            should = [(occ.Should, tantivy.Query.term_query(schema, "text", a)) for a in alts]
            if alts[0].isascii() and alts[0].isalpha() and len(alts[0]) >= 5:
                should.append((occ.Should, tantivy.Query.fuzzy_term_query(
                    schema, "text", alts[0], distance=tx.max_typos(alts[0]), transposition_cost_one=True)))
            must.append((occ.Must, tantivy.Query.boolean_query(should)))
        if ff:
            must.append((occ.Must, tantivy.Query.term_query(schema, ff, fv)))
        query = tantivy.Query.boolean_query(must)
        res = searcher.search(query, 20)
        for _score, addr in res.hits:
            searcher.doc(addr)
        searcher.aggregate(query, {f: {"terms": {"field": f, "size": 300}} for f in ("tier", "district", "category_code")})

    p50, p95 = timed(run, cases)
    return build, p50, p95


# ------------------------------------------------------------------ SQLite FTS5

def bench_fts5(docs, tokens, cases):
    db = sqlite3.connect(":memory:")
    t = time.perf_counter()
    db.execute("CREATE TABLE d (rowid INTEGER PRIMARY KEY, id TEXT, tier TEXT, district TEXT, category_code TEXT,"
               " from_day INT, until_day INT, created TEXT)")
    db.execute("CREATE VIRTUAL TABLE f USING fts5(text, tokenize='unicode61')")
    db.executemany("INSERT INTO d VALUES (?,?,?,?,?,?,?,?)", [
        (i, d["id"], d["tier"], d["district"], d["category_code"], _day(d["available_from"], -(2**31)),
         _day(d["available_until"], 2**31 - 1), d["created_at"]) for i, d in enumerate(docs, 1)])
    db.executemany("INSERT INTO f(rowid, text) VALUES (?, ?)",
                   [(i, " ".join(term(x) for x in toks)) for i, toks in enumerate(tokens, 1)])
    db.execute("INSERT INTO f(f) VALUES ('optimize')")
    build = time.perf_counter() - t

    def run(q, ff, fv):
        words = query_words(q)
        match = " AND ".join("(" + " OR ".join(f'"{a}"' for a in alts) + ")" for alts in words)
        where, args = "", [match]
        if ff:
            where = f" AND d.{ff} = ?"
            args.append(fv)
        # CROSS JOIN forces the text match first (otherwise SQLite re-runs it per filtered row)
        base = f"FROM f CROSS JOIN d ON d.rowid = f.rowid WHERE f MATCH ?{where}"
        db.execute(f"SELECT d.id, bm25(f) AS s {base} ORDER BY s LIMIT 20", args).fetchall()
        for col in ("tier", "district", "category_code"):
            db.execute(f"SELECT d.{col}, count(*) {base} GROUP BY d.{col}", args).fetchall()

    p50, p95 = timed(run, cases)
    return build, p50, p95


# ------------------------------------------------------------------ numpy postings (the embedded backend)

def bench_embedded(docs, tokens, cases):
    b = search.open_backend("embedded")
    t = time.perf_counter()
    with b._lock:
        for d, toks in zip(docs, tokens, strict=True):
            b._add(d, toks)
    build = time.perf_counter() - t

    def run(q, ff, fv):
        kw = {ff: fv} if ff else {}
        b.search(search.SearchQuery(q=q, facets=("tier", "district", "category"), **kw))

    gc.collect()
    p50, p95 = timed(run, cases)
    return build, p50, p95


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100_000)
    a = ap.parse_args()
    docs = generate(a.size)
    tx.jieba_instance()
    t = time.perf_counter()
    tokens = [analyse(d) for d in docs]
    print(f"{a.size:,} docs; segmentation + pinyin (cached per distinct text): {time.perf_counter() - t:.1f} s")
    cases = [(q, *FILTERS[i % len(FILTERS)]) for i, q in enumerate(QUERIES * 2)]
    for name, fn in (("numpy postings (embedded)", bench_embedded), ("tantivy", bench_tantivy),
                     ("SQLite FTS5 unicode61", bench_fts5)):
        build, p50, p95 = fn(docs, tokens, cases)
        print(f"{name:28s} build {build:6.1f} s   query+filter+3 facets p50 {p50:6.2f} ms  p95 {p95:6.2f} ms", flush=True)


if __name__ == "__main__":
    main()
