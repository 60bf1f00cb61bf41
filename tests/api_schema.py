"""Every answer of the API as its OpenAPI schema describes it: an httpx response hook that the ``http`` fixture
installs, so each test talking to /api/ also checks the status, media type and body of every answer it gets
against the schema (``web.api.registry.openapi``) — the flows of the API tests exercise records the fuzz test's
random ids never reach."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import httpx
import jsonschema_rs


class Operation:
    def __init__(self, method: str, path: str, op: dict[str, Any]) -> None:
        self.method = method.upper()
        self.path = path
        self.pattern = re.compile("^" + re.sub(r"{\w+}", "[^/]+", path) + "$")
        self.literal = path.count("{")  # fewer parameters first: /api/assets/lookup before /api/assets/{id}
        self.responses: dict[str, dict[str, Any]] = {}
        for status, r in op["responses"].items():
            self.responses[status] = {m: (jsonschema_rs.Draft202012Validator(c["schema"]) if m == "application/json"
                                          else None) for m, c in r.get("content", {}).items()}


@cache
def operations() -> list[Operation]:
    from web.api.registry import openapi

    ops = [Operation(m, p, op) for p, item in openapi()["paths"].items() for m, op in item.items()]
    return sorted(ops, key=lambda o: o.literal)


def problems(method: str, path: str, status: int, media: str, body: bytes) -> list[str]:
    """What about this answer the schema does not describe (nothing: [])."""
    op = next((o for o in operations() if o.method == method and o.pattern.match(path)), None)
    if op is None:
        return []  # not an endpoint of the API (404, 405): nothing declared to compare with
    declared = op.responses.get(str(status)) or (op.responses.get("default") if status >= 400 else None)
    if declared is None:
        return [f"{method} {path}: status {status} not declared ({', '.join(op.responses)})"]
    media = media.split(";")[0].strip()
    if media not in declared:
        return [f"{method} {path} → {status}: media type {media!r} not declared ({', '.join(declared)})"]
    validator = declared[media]
    if validator is None:
        return []
    try:
        data = json.loads(body)
    except ValueError:
        return [f"{method} {path} → {status}: not JSON"]
    return [f"{method} {path} → {status}: {e.message} at /{'/'.join(map(str, e.instance_path))}"
            for e in validator.iter_errors(data)][:10]


def check(response: httpx.Response) -> None:
    """httpx response hook: fail the call whose answer does not match the schema."""
    path = response.request.url.path
    if not path.startswith("/api/") or path == "/api/openapi.json":
        return
    response.read()
    found = problems(response.request.method, path, response.status_code,
                     response.headers.get("content-type", ""), response.content)
    assert not found, "the answer does not match the API schema:\n" + "\n".join(found)
