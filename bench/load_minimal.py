"""The load benchmark's baseline: the smallest Starlette app, one endpoint returning a tiny JSON.

Served by uvicorn exactly as ``gongwucang serve`` serves the product (same options, same worker count), so
the ratio of the product's throughput to this one's says how much of the budget the product itself spends.

    .venv/bin/python -m uvicorn --app-dir bench load_minimal:app --workers 2 --port 8001
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def ping(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/ping", ping)])
