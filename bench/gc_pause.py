"""GC pause benchmark: how long a full garbage collection stalls a worker under load, with and without the
startup freeze (``web.app.freeze_startup_objects``), and what that does to the search API's p99.

    .venv/bin/python bench/gc_pause.py               # 2 × (browse page, search API), 10 s each, per mode
    .venv/bin/python bench/gc_pause.py --duration 5

Needs ``wrk`` and the load bench's demo city on SQLite (``bench/load_bench.py --db sqlite`` builds it; so does
this script, the first time). For each mode — the freeze turned off (the baseline), then on — it starts one
uvicorn worker of the app with a ``gc.callbacks`` hook that times every full (generation 2) collection, waits
for the first index catch-up (after which the worker freezes), then loads it from wrk on loopback: the browse
page, the search API, the page, the API (rendering pages leaves objects behind that bring full collections
on; each run starts after the load bench's settling second). It prints the full collections seen under load
(count, median, longest), the p99 of each run, and the ratios of the two modes. A pause holds every request
the worker has in hand, so it shows in the p99 of whichever run it falls in. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_bench import (  # noqa: E402
    HOST,
    OUT,
    PYTHON,
    Server,
    Target,
    api_token,
    check_paths,
    path_for,
    prepare,
    query_mix,
    run_wrk,
    session_cookie,
    sqlite_db,
    write_script,
)


def serve(args: argparse.Namespace) -> None:
    """The app in this process, one worker, every full collection timed; SIGUSR1 forgets the pauses so far,
    SIGUSR2 writes them to ``--out`` and exits."""
    import gc

    import uvicorn

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import web.app as web_app

    pauses: list[float] = []
    started = [0.0]

    def timed(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(timed)
    if args.freeze == "off":
        web_app.freeze_startup_objects = lambda: None  # the baseline: nothing frozen

    def dump(*_: object) -> None:
        Path(args.out).write_text(json.dumps(pauses))
        os._exit(0)

    signal.signal(signal.SIGUSR1, lambda *_: pauses.clear())
    signal.signal(signal.SIGUSR2, dump)
    uvicorn.run(web_app.create_app(), host=args.host, port=args.port, log_level="warning")


def measure(freeze: str, args: argparse.Namespace) -> dict:
    db = sqlite_db()
    out = OUT / "logs" / f"gc-pauses-{freeze}.json"
    out.unlink(missing_ok=True)
    server = Server(f"app (freeze {freeze})", [PYTHON, __file__, "--serve", "--freeze", freeze, "--out", str(out)],
                    db.env(), OUT / "logs" / f"gc-serve-{freeze}.log")
    try:
        server.start("/login")
        mix = query_mix()
        api_paths, page_paths = [path_for("/api/search", p) for p in mix], [path_for("/", p) for p in mix]
        api_headers = {"Authorization": f"Bearer {api_token(server.base)}"}
        page_headers = {"Cookie": session_cookie(server.base)}
        check_paths(server.base, api_paths, api_headers, '"facets"')
        check_paths(server.base, page_paths, page_headers, 'name="q"')
        time.sleep(2)  # the first catch-up ran long ago (every 0.5 s): frozen, in that mode
        scripts = OUT / "scripts"
        api = Target("search API", server.base, write_script(scripts / "gc-api.lua", api_paths, api_headers), server)
        page = Target("browse page", server.base, write_script(scripts / "gc-page.lua", page_paths, page_headers),
                      server)
        os.kill(server.proc.pid, signal.SIGUSR1)  # only the pauses under load count
        log = OUT / "logs" / f"wrk-gc-{freeze}.txt"
        log.write_text("")
        for _ in range(2):
            for t in (page, api):
                t.runs.append(run_wrk(t, args.duration, args.connections, args.threads, log))
        os.kill(server.proc.pid, signal.SIGUSR2)
        deadline = time.monotonic() + 10
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        pauses = json.loads(out.read_text())
    finally:
        server.stop()
    return {"pauses": pauses, "api_p99": [r["p99"] for r in api.runs], "page_p99": [r["p99"] for r in page.runs]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--freeze", choices=["on", "off"], default="on", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--host", default=HOST, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args)
        return 0
    prepare(sqlite_db(), rebuild=False)
    results = {mode: measure(mode, args) for mode in ("off", "on")}
    print(f"\nfull collections under load, one worker, {args.connections} connections, "
          f"2 × (browse page, search API) × {args.duration} s")
    print(f"  {'startup freeze':<16}{'count':>7}{'median ms':>11}{'longest ms':>12}   search API p99 ms   browse page p99 ms")
    for mode, r in results.items():
        p = r["pauses"]
        med, top = (statistics.median(p), max(p)) if p else (0.0, 0.0)
        print(f"  {mode:<16}{len(p):>7}{med:>11.1f}{top:>12.1f}   "
              f"{' / '.join(f'{x:.0f}' for x in r['api_p99']):<19}{' / '.join(f'{x:.0f}' for x in r['page_p99'])}")
    off, on = results["off"]["pauses"], results["on"]["pauses"]
    if off and on:
        print(f"  longest pause on/off: {max(on) / max(off):.3f}; "
              f"search API p99, worst run on/off: {max(results['on']['api_p99']) / max(results['off']['api_p99']):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
