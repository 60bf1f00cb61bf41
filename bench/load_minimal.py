"""The load benchmark's baseline: the smallest Starlette app, one endpoint returning a tiny JSON.

Served exactly as ``gongwucang serve`` serves the product (``web.serve.serve``: uvicorn with the same options,
the same worker count, each worker on its own SO_REUSEPORT socket), so the ratio of the product's throughput to
this one's says how much of the budget the product itself spends.

    .venv/bin/python bench/load_minimal.py --workers 2 --port 8001
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def ping(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/ping", ping)])


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the minimal app as gongwucang serve serves the product.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # The workers are spawned with this sys.path: this script's directory first (so they import load_minimal),
    # then the checkout (web.serve, also without an installed package).
    sys.path.insert(1, str(Path(__file__).resolve().parents[1]))
    from web.serve import serve

    serve("load_minimal:app", host=args.host, port=args.port, workers=args.workers)


if __name__ == "__main__":
    main()
