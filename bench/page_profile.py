"""Where a browse page's CPU goes: the page ``/`` (and the search API beside it) answered in process, under cProfile.

    .venv/bin/python bench/page_profile.py                    # the demo city load_bench.py built (SQLite)
    .venv/bin/python bench/page_profile.py --requests 2000 --top 40 --sort tottime

It calls the ASGI app directly (no server, no sockets), signed in as the load bench's demo account, cycling
through the load bench's query mix. Work the app hands to a thread runs inline here, so the profile holds all
of a request's work (the hop itself — some tens of µs each — is not in it). Prints the mean wall time per
request without the profiler first, then the profile. Needs ``bench/load_bench.py`` to have built the demo
city (``bench/out/load/sqlite``), or ``--data`` / ``DATABASE_URL`` naming another.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


async def call(app, path: str, headers: list[tuple[bytes, bytes]], method: str = "GET",  # noqa: ANN001
               body: bytes = b"") -> tuple[int, dict[bytes, list[bytes]], bytes]:
    raw_path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": urllib.parse.unquote(raw_path), "raw_path": raw_path.encode(), "query_string": query.encode(),
             "root_path": "", "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
             "state": {}}
    sent = False
    out: dict = {"status": 0, "headers": {}, "body": []}

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            for k, v in message.get("headers", []):
                out["headers"].setdefault(k.lower(), []).append(v)
        elif message["type"] == "http.response.body":
            out["body"].append(message.get("body", b""))

    await app(scope, receive, send)
    return out["status"], out["headers"], b"".join(out["body"])


async def sign_in(app) -> str:  # noqa: ANN001
    from load_bench import PASSWORD, USERNAME

    status, headers, body = await call(app, "/login", [])
    cookie = headers[b"set-cookie"][0].split(b";")[0]
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD, "csrf_token": csrf, "next": "/"})
    status, headers, _ = await call(app, "/login", [(b"cookie", cookie),
                                                    (b"content-type", b"application/x-www-form-urlencoded")],
                                    "POST", form.encode())
    if status != 303:
        raise SystemExit(f"signing in failed: {status}")
    return headers[b"set-cookie"][0].split(b";")[0].decode()


async def main_async(args: argparse.Namespace) -> None:
    import starlette.concurrency
    from load_bench import path_for, query_mix

    async def inline(fn, *a, **kw):  # noqa: ANN001, ANN202
        return fn(*a, **kw)

    # a thread's work runs in this thread, where the profiler sees it
    import web.endpoints
    starlette.concurrency.run_in_threadpool = inline
    web.endpoints.run_in_threadpool = inline
    from web.app import create_app

    app = create_app()
    cookie = await sign_in(app)
    headers = [(b"cookie", cookie.encode()), (b"host", b"127.0.0.1")]
    mix = query_mix()
    paths = [path_for(args.base, p) for p in mix]
    for p in paths:  # warm: the index, the templates, every cache
        status, _, body = await call(app, p, headers)
        if status != 200:
            raise SystemExit(f"{p}: {status} {body[:200]!r}")
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(args.requests):
        await call(app, paths[i % len(paths)], headers)
    took, cpu = (time.perf_counter() - started) / args.requests, (time.process_time() - cpu) / args.requests
    print(f"{args.base}: {cpu * 1000:.3f} ms CPU, {took * 1000:.3f} ms wall per request (in process, no profiler, "
          f"{args.requests} requests)")
    prof = cProfile.Profile()
    prof.enable()
    for i in range(args.requests):
        await call(app, paths[i % len(paths)], headers)
    prof.disable()
    pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT / "bench" / "out" / "load" / "sqlite"))
    parser.add_argument("--base", default="/", help="the path profiled: / (the page) or /api/search")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    os.environ.setdefault("GONGWUCANG_DATA", args.data)
    os.environ["GONGWUCANG_BACKGROUND"] = "0"
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
