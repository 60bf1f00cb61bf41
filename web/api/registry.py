"""The API's route table: each endpoint is declared once, and both the Starlette routes and the OpenAPI
schema served at /api/openapi.json are built from the declarations."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from market.fields import LATITUDE, LONGITUDE, MONEY_SCHEMA, string
from web import bodylimit
from web.api import schemas
from web.endpoints import ApiHandler, api


@dataclass
class Endpoint:
    method: str
    path: str
    summary: str
    tag: str
    endpoint: Callable
    body: dict[str, Any] | None = None  # JSON Schema of the request body
    query: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)  # (name, schema, description)
    auth: bool = True
    hot: bool = False  # asked for at every keystroke (search, suggest): routed before everything else
    upload: dict[str, Any] | None = None  # media type -> schema of a file sent as the body
    returns: dict[str, Any] | schemas.File | None = None  # the success answer (``web.api.schemas``)
    status: int = 200


ENDPOINTS: list[Endpoint] = []


def declare(method: str, path: str, summary: str, tag: str, *, body: dict[str, Any] | None = None,
            query: list[tuple[str, dict[str, Any], str]] | None = None, auth: bool = True,
            write: bool = False, wrap: Callable[[Callable], Callable] | None = None,
            upload: tuple[int, tuple[str, ...]] | None = None, returns: dict[str, Any] | schemas.File | None = None,
            status: int = 200) -> Callable[[ApiHandler], ApiHandler]:
    """``returns``: the schema of the success answer (builders in ``web.api.schemas``), ``status`` its code.
    ``wrap`` makes the endpoint from the function instead of ``api`` (``pool_read``: search and suggest, which
    are also routed first). ``upload``: (bytes, media types) of a file sent as the request body."""

    def deco(fn: ApiHandler) -> ApiHandler:
        if upload is not None:
            bodylimit.allow(method, path, upload[0])
        endpoint = wrap(fn) if wrap is not None else api(fn, auth=auth, write=write, body_schema=body,
                                                         upload=upload[0] if upload else None)
        files = {m: {"type": "string", "format": "binary", "maxLength": upload[0]} for m in upload[1]} if upload else None
        ENDPOINTS.append(Endpoint(method, path, summary, tag, endpoint, body, query or [], auth, wrap is not None,
                                  files, returns, status))
        return fn

    return deco


def obj(required: list[str], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": props, "additionalProperties": False}


STR = {"type": "string"}
INT = {"type": "integer"}
DATE = {"type": "string", "format": "date"}
MONEY = MONEY_SCHEMA  # an amount of 元: text as people type it, or a number; 0 to 1 亿
LAT = {"type": "number", "minimum": LATITUDE[0], "maximum": LATITUDE[1], "title": "纬度"}
LNG = {"type": "number", "minimum": LONGITUDE[0], "maximum": LONGITUDE[1], "title": "经度"}
TEXT = string  # TEXT(Model.field, label): a text field as long as its column
IDS = {"type": "array", "items": INT, "minItems": 1, "maxItems": 10000}  # asset ids
ERROR = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": STR, "message": STR, "field": {"type": ["string", "null"]}}, "required": ["code", "message"]}},
    "required": ["error"],
}


def openapi() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for e in ENDPOINTS:
        params = [{"name": n, "in": "path", "required": True, "schema": INT if n == "id" else STR}
                  for n in re.findall(r"{(\w+)}", e.path)]
        params += [{"name": n, "in": "query", "required": False, "schema": s, "description": d}
                   for n, s, d in e.query]
        op: dict[str, Any] = {
            "summary": e.summary, "tags": [e.tag], "operationId": f"{e.method.lower()}_{e.endpoint.__name__}",
            "parameters": params,
            "responses": {
                str(e.status): {"description": "成功", "content": schemas.content(
                    e.returns if e.returns is not None else {}, any(n == "export" for n, _, _ in e.query))},
                "default": {"description": "错误（4xx，中文说明）",
                            "content": {"application/json": {"schema": ERROR}}},
            },
        }
        if e.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": e.body}}}
        if e.upload is not None:
            op["requestBody"] = {"required": True, "content": {m: {"schema": s} for m, s in e.upload.items()}}
        if not e.auth:
            op["security"] = []
        paths.setdefault(e.path, {})[e.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "公物仓 API", "version": "1", "description":
                 "行政事业单位资产共享调剂平台的 JSON 接口。先 POST /api/session 取得令牌，"
                 "再以 Authorization: Bearer 令牌 访问其他接口。错误为 {\"error\": {code, message, field}}。"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }
