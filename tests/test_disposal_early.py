"""Disposal before the minimum service life (最低使用年限): refused and recorded, unless damaged beyond repair with
the inspection on record; then an extra approval by finance comes first and the case says why."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import csrf, login
from factories import PASSWORD, add_assets
from sqlmodel import select

from market import disposal as dsp
from market.errors import InvalidInput, PermissionDenied
from market.infra.db import session_scope
from market.models import Asset, DamageRecord, DisposalCase, Event

YOUNG = date(2024, 6, 1)  # a laptop (minimum life 6 years) bought then is young until 2030-06-01


def _laptop(db, world, purchased=YOUNG, n=1):
    items = add_assets(db, world.edu, world.laptop, n, name="笔记本电脑", value="6000", purchased=purchased)
    db.commit()
    return items


def _refusals(db) -> list[Event]:
    db.expire_all()
    return list(db.exec(select(Event).where(Event.action == dsp.REFUSED_EARLY)))


def test_a_young_asset_is_refused_with_its_dates_and_the_refusal_is_recorded(db, world):
    old, young = _laptop(db, world, date(2015, 1, 1))[0], _laptop(db, world)[0]
    with pytest.raises(dsp.EarlyDisposalRefused) as err:
        dsp.apply_disposal(db, world.user("mgr_edu"), [old.id, young.id], "sale", "更新换代")
    msg = err.value.message
    assert "未达到最低使用年限（6 年），除损毁且无法修复外不得处置" in msg
    assert "2024-06-01 取得" in msg and "至 2030-06-01" in msg and young.tag in msg and old.tag not in msg
    db.expire_all()
    assert db.exec(select(DisposalCase)).all() == []
    assert db.get(Asset, young.id).status == "in_use"
    (ev,) = _refusals(db)
    assert (ev.entity, ev.entity_id, ev.actor_id) == ("asset", young.id, world.user("mgr_edu").id)
    assert ev.after["unit_id"] == world.edu.id and ev.after["min_life_years"] == 6 and ev.after["method"] == "sale"


def test_the_day_the_minimum_life_is_reached_disposal_is_allowed(db, world, monkeypatch):
    item = _laptop(db, world)[0]
    monkeypatch.setattr(dsp, "today", lambda: date(2030, 5, 31))
    with pytest.raises(dsp.EarlyDisposalRefused):
        dsp.apply_disposal(db, world.user("mgr_edu"), [item.id], "scrap", "老化")
    monkeypatch.setattr(dsp, "today", lambda: date(2030, 6, 1))
    case = dsp.apply_disposal(db, world.user("mgr_edu"), [item.id], "scrap", "老化")
    assert case.status == "applied" and case.early_reason == ""


def test_beyond_repair_needs_the_inspection_on_record(db, world):
    item = _laptop(db, world)[0]
    with pytest.raises(dsp.EarlyDisposalRefused, match="检验或鉴定依据"):
        dsp.apply_disposal(db, world.user("mgr_edu"), [item.id], "scrap", "主板烧毁", beyond_repair=True)
    assert len(_refusals(db)) == 1
    with pytest.raises(InvalidInput, match="检验/鉴定报告"):
        dsp.apply_disposal(db, world.user("mgr_edu"), [item.id], "scrap", "主板烧毁", True, "x" * 600)


def test_damaged_beyond_repair_goes_to_the_extra_approval_first(db, world):
    item = _laptop(db, world)[0]
    mgr, finance, admin = world.user("mgr_edu"), world.user("finance"), world.user("admin")
    case = dsp.apply_disposal(db, mgr, [item.id], "scrap", "主板烧毁", beyond_repair=True,
                              damage_report="锦川电子检测〔2026〕17号")
    assert case.status == "early_review" and case.status_label == "待提前处置审批"
    assert "2024-06-01 取得" in case.early_reason and "锦川电子检测〔2026〕17号" in case.early_reason
    assert dsp.waiting_for(db, case).startswith("未达到最低使用年限")
    # only finance gives the extra approval; the ordinary approval cannot come first
    for who in (mgr, admin):
        with pytest.raises(PermissionDenied):
            dsp.approve_early(db, who, case.id)
    assert "approve" not in dsp.next_steps(db, finance, case)
    assert dsp.next_steps(db, finance, case)[:2] == ["approve_early", "reject_early"]
    dsp.take_step(db, finance, case.id, "approve_early", {})
    assert case.status == "applied" and case.early_approved_by == finance.id
    dsp.approve_disposal(db, finance, case.id)
    assert case.status == "approved"
    assert _refusals(db) == []


def test_a_damage_record_from_the_return_inspection_is_the_evidence(db, world):
    item = _laptop(db, world)[0]
    db.add(DamageRecord(asset_id=item.id, cause="wear", description="屏幕碎裂，无法修复", created_by=world.user("admin").id))
    db.commit()
    case = dsp.apply_disposal(db, world.user("mgr_edu"), [item.id], "scrap", "屏幕碎裂", beyond_repair=True)
    assert case.status == "early_review" and "屏幕碎裂，无法修复" in case.early_reason


def test_refusing_the_extra_approval_releases_the_assets(db, world):
    item = _laptop(db, world)[0]
    case = dsp.apply_disposal(db, world.user("mgr_edu"), [item.id], "scrap", "摔坏", True, "检测报告 A-1")
    with pytest.raises(InvalidInput, match="驳回须填写理由"):
        dsp.reject_early(db, world.user("finance"), case.id, " ")
    dsp.reject_early(db, world.user("finance"), case.id, "可以维修")
    db.expire_all()
    assert db.get(DisposalCase, case.id).status == "rejected"
    assert db.get(Asset, item.id).status == "idle"


def test_old_assets_and_loss_writeoffs_are_outside_the_rule(db, world):
    old = _laptop(db, world, date(2018, 1, 1))[0]
    assert dsp.apply_disposal(db, world.user("mgr_edu"), [old.id], "sale", "到期").status == "applied"
    lost = _laptop(db, world)[0]
    assert dsp.apply_disposal(db, world.user("mgr_edu"), [lost.id], "loss_writeoff", "盘亏").status == "applied"
    assert _refusals(db) == []


def _auth(http, username):
    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_through_the_api_and_the_pages(http, world):
    with session_scope(write=True) as db:
        a, b = (x.id for x in add_assets(db, world.edu, world.laptop, 2, name="笔记本电脑", value="6000",
                                          purchased=YOUNG))
        db.commit()
    mgr = _auth(http, "mgr_edu")
    value = http.get(f"/api/assets/{a}", headers=mgr).json()["value"]
    assert value["min_life_years"] == 6 and value["min_life_ends"] == "2030-06-01" and value["below_min_life"] is True
    r = http.post("/api/disposals", headers=mgr, json={"asset_ids": [a], "method": "sale", "reason": "换新"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "below_min_life"
    assert "未达到最低使用年限（6 年）" in r.json()["error"]["message"]
    r = http.post("/api/disposals", headers=mgr, json={"asset_ids": [a], "method": "scrap", "reason": "进水",
                                                       "beyond_repair": True, "damage_report": "检测 B-2"})
    assert r.status_code == 200 and r.json()["status"] == "early_review"
    r = http.post(f"/api/disposals/{r.json()['id']}/step", headers=_auth(http, "finance"), json={"step": "approve_early"})
    assert r.status_code == 200 and r.json()["status"] == "applied"
    # the page: refused with the message, then the case page shows why and the extra approval
    assert login(http, "mgr_edu").status_code == 303
    token = csrf(http.get("/assets").text)
    r = http.post("/disposals", data={"csrf_token": token, "asset": [str(b)], "method": "sale", "reason": "换新"})
    assert r.status_code == 422 and "除损毁且无法修复外不得处置" in r.text
    r = http.post("/disposals", data={"csrf_token": token, "asset": [str(b)], "method": "scrap", "reason": "进水",
                                      "beyond_repair": "1", "damage_report": "检测 B-3"})
    assert r.status_code == 303
    page = http.get(r.headers["location"]).text
    assert "提前处置" in page and "检测 B-3" in page and "待提前处置审批" in page
    http.cookies.clear()
    assert login(http, "finance").status_code == 303
    page = http.get(r.headers["location"]).text
    assert "同意提前处置" in page
    printed = http.get(r.headers["location"] + "/print").text
    assert "提前处置" in printed and "检测 B-3" in printed
