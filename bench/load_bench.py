"""Load benchmark: the search API and the browse page under 50 concurrent clients, on SQLite and PostgreSQL.

    .venv/bin/python bench/load_bench.py                      # both databases, 3 runs × 10 s per target
    .venv/bin/python bench/load_bench.py --db sqlite --runs 1 # quicker
    .venv/bin/python bench/load_bench.py --rebuild            # build the demo city again

Needs ``wrk`` (Debian/Ubuntu: ``apt-get install -y wrk``; macOS: ``brew install wrk``). Figures are printed,
never asserted; this is not part of the test suite.

What it does, per database:

1. builds the demo city (``gongwucang demo`` without serving; this checkout's code, run with this Python)
   into ``bench/out/load/<db>/`` and keeps it for the next run (``--rebuild`` starts again). PostgreSQL
   (``--pg-url``, default the test server) gets a schema of its own, ``gwc_loadbench``, dropped at the end
   unless ``--keep-pg``;
2. starts ``python -m web.cli serve --workers 2`` (``gongwucang serve`` of this checkout) on a free loopback
   port, and the minimal Starlette app of ``bench/load_minimal.py`` the same way (``web.serve``: uvicorn,
   2 workers), and waits until both answer;
3. signs in as a demo account: a bearer token (``POST /api/session``) for the API, a session cookie
   (``POST /login``) for the page; checks every URL of the mix once (status 200, the page is the pool);
4. loads each target with wrk from a second process (50 connections, 2 threads, fixed duration) — the
   search API (``GET /api/search``, a rotating mix of Chinese words, pinyin, model names, filters, sorts,
   pages; facets are always computed), the browse page (``GET /?q=…``, same mix), and the minimal
   endpoint — interleaved round by round so that drifting machine load hits all three alike;
5. prints requests/s, p50 and p99 latency (medians over the runs), each target's throughput as a share
   of the minimal endpoint's — as the ratio of the medians, and "per round": the median over the rounds of
   each round's own ratio, which the throughput target is checked on (a round's three targets run back to
   back, so a machine slowing down or speeding up between rounds cancels out of it), the workers' CPU per
   request and its multiple of the minimal endpoint's (steadier than req/s when other work shares the
   machine), and whether the targets are met: search API p99 < 100 ms, throughput ≥ 40 % of the minimal
   endpoint's (issue 6); browse page p99 < 100 ms, throughput ≥ 25 % of the minimal endpoint's (issue 18).
   Each run also prints how busy each uvicorn worker was (% of one core): each worker has its own
   SO_REUSEPORT socket and the kernel spreads wrk's 50 keep-alive connections over them, so the column
   shows the balance ("90/88"; with uvicorn's one shared socket it could be "96/2").

wrk, the servers and the database share the machine: on 2 cores the figures are a floor, and anything
else running at the same time moves them. Only 127.0.0.1 is ever loaded, and every run stops by itself.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "load"
PYTHON = sys.executable
HOST = "127.0.0.1"  # loopback only: this tool never loads another machine
PG_SCHEMA = "gwc_loadbench"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
USERNAME, PASSWORD = "jyj_staff", "demo1234"  # a unit's staff: the everyday searcher (market/demo.py)
BUILT = "built.ok"  # marker written after a complete demo build

P99_TARGET_MS = 100.0
SETTLE_SECONDS = 1.0  # idle before each run
SHARE_TARGET = 0.40
PAGE_SHARE_TARGET = 0.25  # the browse page's throughput target (issue 18): a quarter of the minimal endpoint's

# Realistic searches on the demo city: words, pinyin and initials, typos in model names, brands, synonyms.
WORDS = ["会议椅", "椅子", "桌子", "帐篷", "投影仪", "投影", "hyy", "huiyiyi", "thinkpad", "thinkpda e14", "电脑",
         "计算机", "笔记本", "打印机", "激光打印机", "一体机", "文件柜", "柜子", "保险柜", "沙发", "空调", "格力空调",
         "饮水机", "音响", "话筒", "LED屏", "显示器", "照相机", "摄像机", "对讲机", "路由器", "UPS", "碎纸机", "白板",
         "办公桌", "会议桌", "折叠桌", "折叠椅", "办公椅", "书架", "演讲台", "展板", "舞台", "签到台", "平板电脑",
         "dyj", "震旦会议椅", "折叠帐篷", "爱普生", "cbx06", "联想", "华为", "", ""]
FILTERS = [{}, {}, {"district": "锦城区"}, {"tier": "warehouse"}, {"condition": "良好"}, {"tier": "idle"},
           {"category": "A0501"}, {"mode": "loan"}, {"sort": "distance"}, {"sort": "newest"},
           {"available_from": "2026-09-01", "available_to": "2026-09-05"}, {"page": "2"},
           {"district": "东湖区", "tier": "rental"}]


def query_mix() -> list[dict[str, str]]:
    out = []
    for i, word in enumerate(WORDS):
        params = {"q": word} if word else {}
        params |= FILTERS[i % len(FILTERS)]
        out.append(params)
    return out


def path_for(base: str, params: dict[str, str]) -> str:
    return base + ("?" + urllib.parse.urlencode(params) if params else "")


# ---------------------------------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, probe: str, timeout: float = 120.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([*self.cmd, "--host", HOST, "--port", str(self.port)], env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log}")
            if self.answers(probe):
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s; see {self.log}")

    def answers(self, path: str) -> bool:
        """True once the server answers ``path`` with anything but a 5xx; False while it is not listening yet."""
        try:
            with urllib.request.urlopen(self.base + path, timeout=2) as resp:
                return resp.status < 500
        except urllib.error.HTTPError as exc:
            return exc.code < 500
        except OSError:
            return False

    def worker_cpu(self) -> dict[int, float]:
        """CPU seconds used so far by each uvicorn worker (Linux /proc; empty elsewhere)."""
        out: dict[int, float] = {}
        if self.proc is None:
            return out
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.proc.pid:
                    continue
                if b"spawn_main" not in (stat.parent / "cmdline").read_bytes():
                    continue  # multiprocessing's resource tracker, not a worker
                out[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
            except (OSError, IndexError, ValueError):
                continue
        return out

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the supervisor and its workers: our own group
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            return  # already gone


# ---------------------------------------------------------------------------------------------------- data

@dataclass
class Database:
    name: str  # "SQLite" / "PostgreSQL"
    key: str  # "sqlite" / "postgres"
    data_dir: Path
    url: str | None  # DATABASE_URL, None for the SQLite file in the data directory
    admin_url: str | None = None  # plain PostgreSQL URL for creating and dropping the schema

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "GONGWUCANG_BACKGROUND")}
        env["GONGWUCANG_DATA"] = str(self.data_dir)
        env.pop("MEILI_URL", None)  # the embedded index, the default deployment
        if self.url:
            env["DATABASE_URL"] = self.url
        return env


def sqlite_db() -> Database:
    return Database("SQLite", "sqlite", OUT / "sqlite", None)


def postgres_db(pg_url: str) -> Database:
    sep = "&" if "?" in pg_url else "?"
    return Database("PostgreSQL", "postgres", OUT / "postgres", f"{pg_url}{sep}options=-csearch_path%3D{PG_SCHEMA}",
                    admin_url=pg_url)


def pg_exec(db: Database, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(db.admin_url, autocommit=True, connect_timeout=5) as conn:
        cur = conn.execute(sql)
        return cur.fetchall() if cur.description else []


def prepare(db: Database, rebuild: bool) -> None:
    """The demo city in this database, built once and reused while its marker file stands."""
    marker = db.data_dir / BUILT
    if db.admin_url:
        exists = pg_exec(db, f"SELECT 1 FROM pg_namespace WHERE nspname = '{PG_SCHEMA}'")
        if exists and marker.exists() and not rebuild:
            print(f"  {db.name}: reusing the demo city in schema {PG_SCHEMA}")
            return
        pg_exec(db, f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        pg_exec(db, f"CREATE SCHEMA {PG_SCHEMA}")
    elif marker.exists() and not rebuild:
        print(f"  {db.name}: reusing the demo city in {db.data_dir.relative_to(ROOT)}")
        return
    shutil.rmtree(db.data_dir, ignore_errors=True)
    db.data_dir.mkdir(parents=True)
    print(f"  {db.name}: building the demo city (about 30–60 s)…", flush=True)
    started = time.perf_counter()
    code = "from web.cli import _prepare_database; _prepare_database(build_demo=True)"
    subprocess.run([PYTHON, "-c", code], env=db.env(), cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   timeout=900)
    marker.write_text(time.strftime("%F %T"))
    print(f"  {db.name}: built in {time.perf_counter() - started:.0f} s")


def drop(db: Database) -> None:
    if db.admin_url:
        from contextlib import suppress

        with suppress(Exception):
            pg_exec(db, f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        (db.data_dir / BUILT).unlink(missing_ok=True)
        print(f"  dropped schema {PG_SCHEMA}")


# ---------------------------------------------------------------------------------------------------- sign-in

def api_token(base: str) -> str:
    body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
    req = urllib.request.Request(base + "/api/session", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)["token"]


def session_cookie(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=30) as resp:
        page = resp.read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    if not csrf:
        raise RuntimeError("no CSRF token on the sign-in page")
    form = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD, "csrf_token": csrf.group(1),
                                   "next": "/"}).encode()
    with opener.open(base + "/login", data=form, timeout=60) as resp:  # follows the redirect to the pool
        resp.read()
    cookies = [c for c in jar if c.name == "gwc_session"]
    if not cookies:
        raise RuntimeError("signing in set no session cookie")
    return f"gwc_session={cookies[-1].value}"


def check_paths(base: str, paths: list[str], headers: dict[str, str], must_contain: str) -> None:
    """Every URL of the mix once: status 200 and the expected content (also warms each worker's index)."""
    for path in paths:
        req = urllib.request.Request(base + path, headers=headers)
        with urllib.request.urlopen(req, timeout=120) as resp:
            text = resp.read().decode()
            if resp.status != 200 or must_contain not in text:
                raise RuntimeError(f"{path}: status {resp.status}, expected content missing")


# ---------------------------------------------------------------------------------------------------- wrk

LUA = """-- generated by bench/load_bench.py: rotate through a fixed list of paths, count non-200 answers
local paths = {%(paths)s}
local headers = {%(headers)s}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

function init(args)
  counter = offset
  bad = 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], headers)
end

function response(status, hdrs, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("bad") end
  io.write(string.format("LOADBENCH {\\"requests\\": %%d, \\"duration_us\\": %%d, \\"p50_us\\": %%d, " ..
    "\\"p99_us\\": %%d, \\"bad_status\\": %%d, \\"errors\\": %%d}\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), n,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
    summary.errors.timeout))
end
"""


def lua_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_script(path: Path, paths: list[str], headers: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LUA % {
        "paths": ", ".join(lua_string(p) for p in paths),
        "headers": ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()),
    })
    return path


@dataclass
class Target:
    name: str
    base: str
    script: Path
    server: Server | None = None
    runs: list[dict] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.runs)


def run_wrk(target: Target, duration: int, connections: int, threads: int, log: Path) -> dict:
    # The requests the previous run left in flight (a page takes milliseconds of a worker's threads) finish
    # first: otherwise the first fraction of a second of this run waits behind them and counts in its p99.
    time.sleep(SETTLE_SECONDS)
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "5s", "--latency",
           "-s", str(target.script), target.base + "/"]
    before = target.server.worker_cpu() if target.server else {}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    after = target.server.worker_cpu() if target.server else {}
    with log.open("a") as f:
        f.write(f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}\n")
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("LOADBENCH ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    raw = json.loads(line.removeprefix("LOADBENCH "))
    used = sorted((after[pid] - before[pid] for pid in after if pid in before), reverse=True)
    seconds = raw["duration_us"] / 1e6
    return {"rps": raw["requests"] / seconds, "p50": raw["p50_us"] / 1000,
            "p99": raw["p99_us"] / 1000, "requests": raw["requests"], "bad": raw["bad_status"],
            "errors": raw["errors"],
            # the workers' CPU per request: less noisy than req/s on a shared machine (wrk and others take cores)
            "cpu_ms": sum(used) / raw["requests"] * 1000 if used and raw["requests"] else float("nan"),
            # each worker's CPU as a share of one core over the run: the balance of the kernel's spreading of
            # connections over the workers' SO_REUSEPORT sockets ("95/3" would mean one took nearly all)
            "cpu": "/".join(f"{u / seconds * 100:.0f}" for u in used) or "?"}


# ---------------------------------------------------------------------------------------------------- report

def report(db: Database, targets: list[Target], minimal: Target, args: argparse.Namespace) -> None:
    base_rps, base_cpu = minimal.median("rps"), minimal.median("cpu_ms")
    print(f"\n{db.name} — {args.connections} connections, {args.threads} wrk threads, {args.workers} uvicorn workers, "
          f"{len(minimal.runs)} × {args.duration} s per target (medians)")
    head = (f"  {'target':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'× minimal':>11}{'per round':>11}{'CPU ms/req':>12}"
            f"{'× min CPU':>11}  {'non-200':>8}  targets")
    print(head)
    print("  " + "-" * (len(head) - 2))
    for t in [minimal, *targets]:
        rps, p50, p99 = t.median("rps"), t.median("p50"), t.median("p99")
        share = rps / base_rps if base_rps else 0.0
        # the share within each round (the targets of a round run back to back, so drifting machine load
        # hits them alike), median over the rounds: what the throughput target is checked on
        paired = statistics.median(r["rps"] / b["rps"] for r, b in zip(t.runs, minimal.runs, strict=True))
        bad = sum(r["bad"] + r["errors"] for r in t.runs)
        if t is minimal:
            verdict = "(baseline)"
        else:  # the search API's targets are issue 6's, the browse page's issue 18's
            share_target = SHARE_TARGET if t.name.startswith("search API") else PAGE_SHARE_TARGET
            verdict = (f"p99 < {P99_TARGET_MS:.0f} ms: {'met' if p99 < P99_TARGET_MS else 'MISSED'}; "
                       f"throughput ≥ {share_target:.0%}: {'met' if paired >= share_target else 'MISSED'}")
        cpu = t.median("cpu_ms")
        print(f"  {t.name:<22}{rps:>9.0f}{p50:>9.1f}{p99:>9.1f}{share:>10.1%}{paired:>11.1%}{cpu:>12.3f}"
              f"{cpu / base_cpu:>10.2f}×  {bad:>8}  {verdict}")
    print(f"  load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    spread = ", ".join(f"{t.name}: " + "/".join(f"{r['rps']:.0f}" for r in t.runs) for t in [minimal, *targets])
    print(f"  runs (req/s): {spread}")


def bench_database(db: Database, args: argparse.Namespace) -> None:
    logs = OUT / "logs"
    print(f"\n== {db.name}", flush=True)
    prepare(db, args.rebuild)
    app = Server(f"gongwucang ({db.name})", [PYTHON, "-m", "web.cli", "serve", "--workers", str(args.workers)], db.env(),
                 logs / f"serve-{db.key}.log")
    minimal = Server("minimal app", [PYTHON, str(ROOT / "bench" / "load_minimal.py"), "--workers", str(args.workers)],
                     db.env(), logs / f"minimal-{db.key}.log")
    try:
        app.start("/login")
        minimal.start("/ping")
        token = api_token(app.base)
        cookie = session_cookie(app.base)
        mix = query_mix()
        api_paths = [path_for("/api/search", p) for p in mix]
        page_paths = [path_for("/", p) for p in mix]
        api_headers = {"Authorization": f"Bearer {token}"}
        page_headers = {"Cookie": cookie}
        print(f"  servers up: app {app.base}, minimal {minimal.base}; checking {len(mix)} queries per target…",
              flush=True)
        check_paths(app.base, api_paths, api_headers, '"facets"')
        check_paths(app.base, page_paths, page_headers, 'name="q"')
        # each worker builds its own index on first use: a few more new connections reach every worker
        check_paths(app.base, api_paths[:1] * (args.workers * 4), api_headers, '"facets"')
        check_paths(minimal.base, ["/ping"], {}, '"ok"')
        scripts = OUT / "scripts"
        targets = [Target("search API", app.base, write_script(scripts / f"api-{db.key}.lua", api_paths, api_headers),
                          app),
                   Target("browse page", app.base,
                          write_script(scripts / f"page-{db.key}.lua", page_paths, page_headers), app)]
        base = Target("minimal endpoint", minimal.base, write_script(scripts / "minimal.lua", ["/ping"], {}), minimal)
        wrk_log = logs / f"wrk-{db.key}.txt"
        wrk_log.write_text("")
        everyone = [base, *targets]
        for t in everyone:  # a short warm-up, not counted
            run_wrk(t, min(3, args.duration), args.connections, args.threads, wrk_log)
        for i in range(args.runs):
            order = everyone[i % 3:] + everyone[: i % 3]  # rotate: no target always runs first or last
            for t in order:
                r = run_wrk(t, args.duration, args.connections, args.threads, wrk_log)
                t.runs.append(r)
                print(f"  run {i + 1}/{args.runs} {t.name:<17} {r['rps']:8.0f} req/s  p50 {r['p50']:6.1f} ms  "
                      f"p99 {r['p99']:6.1f} ms  worker CPU % {r['cpu']}  CPU {r['cpu_ms']:.3f} ms/req" + (f"  non-200/errors {r['bad']}/{r['errors']}"
                                                   if r["bad"] or r["errors"] else ""), flush=True)
        report(db, targets, base, args)
    finally:
        app.stop()
        minimal.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both (comma-separated)")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs per target; medians are reported (default 3)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers for both apps")
    parser.add_argument("--rebuild", action="store_true", help="build the demo city again")
    parser.add_argument("--keep-pg", action="store_true", help=f"keep schema {PG_SCHEMA} for the next run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("load_bench: wrk is not installed. Install it with `apt-get install -y wrk` (Debian/Ubuntu) "
              "or `brew install wrk` (macOS), then run again.", file=sys.stderr)
        return 2
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be 1–120 s")
    wanted = [d.strip() for d in args.db.split(",") if d.strip()]
    if set(wanted) - {"sqlite", "postgres"}:
        parser.error("--db takes sqlite, postgres or both")
    print(f"load_bench: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          "(wrk, servers and database share this machine)")
    for key in wanted:
        db = sqlite_db() if key == "sqlite" else postgres_db(args.pg_url)
        try:
            bench_database(db, args)
        except Exception as exc:  # one database failing still lets the other report
            print(f"  {db.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            if key == "postgres" and not args.keep_pg:
                drop(db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
