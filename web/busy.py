"""A request that found every database connection taken: 503 with Retry-After, never a 500.

The thread pool is bounded to the connection pool (``market.infra.db.REQUEST_THREADS``), so a request normally
waits for a thread, not for a connection; a pool timeout (``sqlalchemy.exc.TimeoutError``) can still happen
when long jobs hold connections beyond their share. Nothing was done by then: the request never had a
connection, so there is nothing to roll back.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from market.infra.db import BUSY, BUSY_RETRY_AFTER
from web.responses import api_error, error_page

log = logging.getLogger("gongwucang.web")


async def pool_busy(request: Request, exc: Exception) -> Response:
    log.warning("no database connection free for %s %s: %s", request.method, request.url.path, exc)
    if request.url.path.startswith("/api/"):
        response = api_error(503, "busy", BUSY)
    else:
        request.state.user = None  # the page is drawn without the user: finding them needs a connection
        request.state.unread = 0
        response = error_page(request, 503, BUSY)
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER)
    return response
