"""Assets: details and history, lookup by tag or EPC."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request

from market.assets import asset_by_tag, visible_asset
from market.errors import NotFound
from market.infra.eventlog import history
from market.models import User
from web.api.registry import STR, declare
from web.api.serialize import to_json
from web.params import path_id


def asset_json(db: Session, asset) -> dict[str, Any]:  # noqa: ANN001
    events = [{"at": e.at.isoformat(), "action": e.action, "summary": e.summary, "actor_id": e.actor_id,
               "ref": f"{e.ref_entity}:{e.ref_id}" if e.ref_entity else None} for e in history(db, "asset", asset.id)]
    return to_json(asset, history=events)


@declare("GET", "/api/assets/{id}", "资产详情与全生命周期记录", "资产")
def get_asset(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return asset_json(db, visible_asset(db, user, path_id(request)))


@declare("GET", "/api/assets/lookup", "按标签或 RFID EPC 查资产", "资产", query=[("tag", STR, "资产编号或 EPC")])
def lookup(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    tag = request.query_params.get("tag", "")[:64]
    asset = asset_by_tag(db, user, tag)
    if asset is None:
        raise NotFound("找不到该标签对应的资产，或无权查看。", "tag")
    return asset_json(db, visible_asset(db, user, asset.id))
