"""Assets: the list, details and history, lookup by tag or EPC."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from market import assets
from market.depreciation import life_of
from market.infra import scanning
from market.infra.eventlog import history
from market.models import Asset, User
from web import lists, params
from web.api.registry import STR, declare
from web.api.schemas import BOOL, DATE, INT, MOMENT, YUAN, arr, listing, model, opt, shape
from web.api.serialize import to_json
from web.params import path_id

EVENT = shape(at=MOMENT, action=STR, summary=STR, actor_id=opt(INT), ref=opt(STR))
VALUE = shape(original=YUAN, accumulated_depreciation=YUAN, net=YUAN, months_depreciated=INT,
              depreciation_months=opt(INT), age_months=INT, min_life_years=opt(INT), min_life_ends=opt(DATE),
              below_min_life=BOOL)
ASSET = model(Asset, history=arr(EVENT), value=VALUE)


def asset_json(db: Session, asset) -> dict[str, Any]:  # noqa: ANN001
    events = [{"at": e.at.isoformat(), "action": e.action, "summary": e.summary, "actor_id": e.actor_id,
               "ref": f"{e.ref_entity}:{e.ref_id}" if e.ref_entity else None} for e in history(db, "asset", asset.id)]
    life = life_of(db, asset)
    d = life.depreciation
    value = {"original": str(d.original), "accumulated_depreciation": str(d.accumulated), "net": str(d.net),
             "months_depreciated": d.months, "depreciation_months": d.life_months, "age_months": d.age_months,
             "min_life_years": life.min_life_years,
             "min_life_ends": life.min_life_ends.isoformat() if life.min_life_ends else None,
             "below_min_life": life.below_min_life}
    return to_json(asset, history=events, value=value)


@declare("GET", "/api/assets", "资产列表（单位角色只见本单位的；按单位、状态、分类筛选，按编号、名称、品牌、型号、地点、"
         "使用人搜索；分页、排序、导出）", "资产", query=lists.query_params(assets.ASSET_LIST), returns=listing(assets.ASSET_LIST, model(Asset)))
def list_assets(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any] | Response:
    return lists.list_json(request, db, user, assets.ASSET_LIST, lambda lp: to_json)


@declare("GET", "/api/assets/{id}", "资产详情（含原值、累计折旧、净值与最低使用年限）与全生命周期记录", "资产", returns=ASSET)
def get_asset(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return asset_json(db, assets.visible_asset(db, user, path_id(request)))


@declare("GET", "/api/assets/lookup", "按标签或 RFID EPC 查资产", "资产", query=[("tag", STR, "资产编号或 EPC")], returns=ASSET)
def lookup(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    return asset_json(db, assets.lookup(db, user, request.query_params.get("tag", "")))


@declare("POST", "/api/scan", "摄像头画面中的二维码：请求体为灰度画面（每像素 1 字节，逐行），查询参数 w、h 为宽和高；"
         "返回读到的码和它指向的资产（无权查看或不是资产标签的，tag 为 null）", "资产",
         upload=(scanning.MAX_FRAME, ("application/octet-stream",)),
         query=[("w", INT, "画面宽（像素）"), ("h", INT, "画面高（像素）")],
         returns=shape(codes=arr(shape(text=STR, tag=opt(STR), asset_id=opt(INT)))))
def scan(request: Request, db: Session, user: User | None, body: Any) -> dict[str, Any]:
    q = request.query_params
    width = params.integer(q, "w", "画面宽", 16, scanning.MAX_SIDE)
    height = params.integer(q, "h", "画面高", 16, scanning.MAX_SIDE)
    texts = scanning.decode_frame(body or b"", width, height)
    return {"codes": [{"text": text, "tag": a.tag if a else None, "asset_id": a.id if a else None}
                      for text, a in assets.scanned(db, user, texts)]}
