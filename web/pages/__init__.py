"""The HTML pages (Simplified Chinese): each module declares its own routes with ``page`` / ``form_action``."""

from __future__ import annotations

from starlette.routing import Route

from web.endpoints import HOT_PAGE_ROUTES, PAGE_ROUTES
from web.pages import (  # noqa: F401  (they declare the routes)
    acquisitions,
    admin,
    assets,
    auth,
    counts,
    disposals,
    documents,
    evaluation,
    idle,
    imports,
    listings,
    notices,
    orders,
    pool,
    proposals,
    purchasing,
    rentals,
    requests,
    stats,
    supervision,
    transfers,
    wishes,
)


def page_routes() -> list[Route]:
    # a literal path segment must win over a parameter (/assets/lookup before /assets/{id})
    return sorted(PAGE_ROUTES, key=lambda r: "{" in r.path)


def hot_page_routes() -> list[Route]:
    """The browse page: placed first in the app's routes beside search (``web.api.hot_routes``)."""
    return list(HOT_PAGE_ROUTES)
