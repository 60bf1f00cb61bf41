"""Response schemas for the OpenAPI document, derived from the declarations that make the answers: a model's
fields (as ``to_json`` writes them: pydantic's serialisation schema, so Decimal amounts are strings of 元 and
moments ISO text), a list's JSON envelope (``web.lists.as_json``), hand-shaped objects, and downloads.

    returns=model(Asset, history=arr(EVENT))       an object of the model's fields and its labels, plus extras
    returns=listing(SPEC, model(Order))            a page of a list (its export is added from the query)
    returns=shape(token=STR, user=USER)              a hand-shaped object (every key required)
    returns=FILE                                   a download (xlsx); ``file(media, …)`` for others
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from market.infra.sheets import CSV_MEDIA, XLSX_MEDIA
from web.api.serialize import LABELS

STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
MOMENT = {"type": "string", "format": "date-time"}
YUAN = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "title": "金额（元，十进制文本）"}
ANY: dict[str, Any] = {}
CELL = {"type": ["string", "number", "boolean", "null"]}  # a list column's cell as the export writes it


def opt(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null."""
    if "type" in schema and len(schema) <= 3 and "enum" not in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return schema | {"type": [*types, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def shape(**props: dict[str, Any]) -> dict[str, Any]:
    """A hand-shaped answer: every key present, no others."""
    return {"type": "object", "required": list(props), "properties": props, "additionalProperties": False}


def some(required: tuple[str, ...] = (), **props: dict[str, Any]) -> dict[str, Any]:
    """An object with these keys (``required`` always present) and possibly others: a JSON document of another
    component (the matcher's problem and solution) whose main fields are described here."""
    return {"type": "object", "required": list(required), "properties": props}


def mapping(values: dict[str, Any]) -> dict[str, Any]:
    """An object keyed by data (indicator, bucket …) with values of one schema."""
    return {"type": "object", "additionalProperties": values}


def _plain(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """A field's serialisation schema reduced to what the answer promises: its type(s), format, items, fields."""
    if "$ref" in schema:
        return _plain(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "anyOf" in schema:
        parts = [_plain(x, defs) for x in schema["anyOf"]]
        if all(set(p) <= {"type", "format"} and "type" in p for p in parts):
            types = [t for p in parts for t in (p["type"] if isinstance(p["type"], list) else [p["type"]])]
            fmt = next((p["format"] for p in parts if "format" in p), None)
            return {"type": types} | ({"format": fmt} if fmt else {})
        return {"anyOf": parts}
    if "type" not in schema:
        return {}
    out = {"type": schema["type"]}
    if "format" in schema:
        out["format"] = schema["format"]
    if schema["type"] == "array":
        out["items"] = _plain(schema.get("items", {}), defs)
    if schema["type"] == "object" and "properties" in schema:
        return shape(**{k: _plain(v, defs) for k, v in schema["properties"].items()})
    if schema["type"] == "object" and isinstance(schema.get("additionalProperties"), dict):
        out["additionalProperties"] = _plain(schema["additionalProperties"], defs)
    return out


def fields(cls: type) -> dict[str, dict[str, Any]]:
    """The fields of a model (as ``to_json`` writes them: secrets left out, its labels added) or of a dataclass
    (as ``asdict`` and the JSON encoder write them), from pydantic's serialisation schema of the class."""
    if hasattr(cls, "model_json_schema"):
        full = cls.model_json_schema(mode="serialization")
    else:
        full = TypeAdapter(cls).json_schema(mode="serialization")
    defs = full.get("$defs", {})
    out = {k: _plain(v, defs) for k, v in full["properties"].items() if k not in ("password_hash", "token_hash")}
    return out | {name: STR for name in LABELS if isinstance(getattr(cls, name, None), property)}


def model(model_: type, *, drop: tuple[str, ...] = (), **extra: dict[str, Any]) -> dict[str, Any]:
    """A record as ``to_json(row, **extra)`` answers it (or a dataclass as ``asdict``); ``drop``: fields the
    endpoint leaves out; ``extra``: keys it adds or replaces."""
    props = {k: v for k, v in fields(model_).items() if k not in drop} | extra
    return shape(**props)


def listing(spec: Any, row: dict[str, Any], **extra: dict[str, Any]) -> dict[str, Any]:
    """A page of ``spec``'s list as ``web.lists.as_json`` writes it (rows under the list's key), plus ``extra``."""
    return shape(**extra, **{spec.key: arr(row)}, total=INT, page=INT, pages=INT, per_page=INT)


def cells(spec: Any, id_key: str = "id", **extra: dict[str, Any]) -> dict[str, Any]:
    """A page of a list whose rows are its columns (``web.api.stats.cells_json``)."""
    row = shape(**{id_key: INT}, **{c.key: CELL for c in spec.columns})
    return listing(spec, row, headers=arr(STR), **extra)


@dataclass(frozen=True)
class File:
    """A download: the media types the endpoint answers with."""

    media: tuple[str, ...]


def file(*media: str) -> File:
    return File(media)


FILE = file(XLSX_MEDIA)
EXPORT_MEDIA = (XLSX_MEDIA, CSV_MEDIA.split(";")[0])
BINARY = {"type": "string", "format": "binary"}


def content(returns: dict[str, Any] | File, export: bool) -> dict[str, Any]:
    """The 2xx answer's content by media type; a list with ``export`` also answers its file."""
    if isinstance(returns, File):
        return {m: {"schema": BINARY} for m in returns.media}
    out = {"application/json": {"schema": returns}}
    if export:
        out |= {m: {"schema": BINARY} for m in EXPORT_MEDIA}
    return out
