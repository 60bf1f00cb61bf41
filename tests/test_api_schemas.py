"""Every endpoint describes its answer in the OpenAPI schema (its fields and their types, or the file it sends),
and the check that compares answers with the schema (tests/api_schema.py, on every ``http`` call) notices one
that differs."""

from __future__ import annotations

import json
from typing import Any

from api_schema import problems
from factories import PASSWORD

from market.models import Asset, Proposal
from market.stats import Figure
from web.api import schemas
from web.api.registry import ENDPOINTS, openapi


def _described(schema: dict[str, Any], where: str) -> list[str]:
    """The places in ``schema`` that are an object without its fields."""
    out = []
    if schema.get("type") == "object" and not schema.get("properties") and not schema.get("additionalProperties"):
        out.append(where)
    for key, sub in schema.get("properties", {}).items():
        out += _described(sub, f"{where}.{key}")
    if isinstance(schema.get("items"), dict):
        out += _described(schema["items"], f"{where}[]")
    return out


def test_every_endpoint_describes_its_answer():
    paths = openapi()["paths"]
    missing = [f"{e.method} {e.path}" for e in ENDPOINTS if e.returns is None]
    assert not missing, "declare(..., returns=…) is missing for: " + ", ".join(missing)
    bare = []
    for path, item in paths.items():
        for method, op in item.items():
            ok = [s for s in op["responses"] if s.startswith("2")]
            assert len(ok) == 1, (method, path)
            content = op["responses"][ok[0]]["content"]
            assert content, (method, path)
            if "application/json" in content:
                bare += _described(content["application/json"]["schema"], f"{method.upper()} {path}")
            else:
                assert all(c["schema"]["format"] == "binary" for c in content.values()), (method, path)
    assert not bare, "objects without their fields: " + ", ".join(bare)
    assert len(paths) >= 60


def test_schemas_follow_the_declarations():
    asset = schemas.model(Asset)["properties"]
    assert asset["original_value"] == {"type": "string"}  # Decimal: to_json writes 元 as text
    assert asset["purchase_date"] == {"type": ["string", "null"], "format": "date"}
    assert asset["created_at"] == {"type": "string", "format": "date-time"}
    assert asset["status_label"] == {"type": "string"} and asset["confidential"] == {"type": "boolean"}
    assert "password_hash" not in schemas.model(__import__("market.models", fromlist=["User"]).User)["properties"]
    proposal = schemas.model(Proposal, drop=("lots",))["properties"]
    assert "lots" not in proposal and proposal["cost_all_new"] == {"type": ["string", "null"]}
    figure = schemas.model(Figure)["properties"]
    assert figure["number"] == {"type": "number"} and figure["unit"] == {"type": "string"}
    # a list's answer: its rows under the list's key, the pager's numbers, and its export as files
    op = openapi()["paths"]["/api/orders"]["get"]["responses"]["200"]["content"]
    assert set(op) == {"application/json", schemas.XLSX_MEDIA, "text/csv"}
    page = op["application/json"]["schema"]
    assert set(page["required"]) == {"orders", "total", "page", "pages", "per_page", "holder_queue"}  # the envelope
    # and what the order list adds: a holding unit's queue of hand-overs
    assert page["properties"]["orders"]["items"]["properties"]["number"] == {"type": "string"}
    template = openapi()["paths"]["/api/imports/template"]["get"]["responses"]["200"]["content"]
    assert list(template) == [schemas.XLSX_MEDIA]
    assert "202" in openapi()["paths"]["/api/imports"]["post"]["responses"]


def test_the_check_notices_an_answer_unlike_its_schema(http, world):
    me = {"id": 1, "username": "admin", "display_name": "", "role": "sysadmin", "role_label": "系统管理员",
          "unit_id": None}
    assert problems("GET", "/api/me", 200, "application/json", json.dumps(me).encode()) == []
    wrong = problems("GET", "/api/me", 200, "application/json", json.dumps(me | {"id": "1", "extra": 2}).encode())
    assert any("not of type" in p for p in wrong) and any("extra" in p for p in wrong), wrong
    assert problems("GET", "/api/me", 201, "application/json", b"{}")  # a status it does not answer
    assert problems("GET", "/api/me", 200, "text/html", b"<p>")  # a media type it does not answer
    assert problems("GET", "/api/assets/lookup", 200, "application/json", b"{}")  # the literal path, not {id}
    error = json.dumps({"error": {"code": "not_found", "message": "未找到。", "field": None}}).encode()
    assert problems("GET", "/api/assets/5", 404, "application/json", error) == []
    # and the ``http`` fixture runs it on every answer: a real one passes
    token = http.post("/api/session", json={"username": "admin", "password": PASSWORD}).json()["token"]
    r = http.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["username"] == "admin"
    assert r.request.extensions is not None and http.event_hooks["response"]
