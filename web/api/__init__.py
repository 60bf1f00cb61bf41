"""The JSON API: endpoints declared in the modules below, served with an OpenAPI schema."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from web.api import (  # noqa: F401  (they declare the endpoints)
    acquisitions,
    admin,
    assets,
    counts,
    disposals,
    imports,
    listings,
    notices,
    orders,
    pool,
    proposals,
    purchasing,
    requests,
    session,
    stats,
    supervision,
    transfers,
)
from web.api.registry import ENDPOINTS, openapi


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(openapi())


def hot_routes() -> list[Route]:
    """Search and suggest: placed first in the app's routes (Starlette tries routes in order, and matching
    the ~150 routes before them cost a search as much as a third of its own work)."""
    return [Route(e.path, e.endpoint, methods=[e.method]) for e in ENDPOINTS if e.hot]


def api_routes() -> list[Route]:
    # lookup before {id}: a literal path segment must win over the parameter
    ordered = sorted((e for e in ENDPOINTS if not e.hot), key=lambda e: "{" in e.path)
    return [Route("/api/openapi.json", openapi_json)] + [
        Route(e.path, e.endpoint, methods=[e.method]) for e in ordered]
