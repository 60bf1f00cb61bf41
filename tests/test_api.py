"""The JSON API through real HTTP: the whole flow with bearer tokens, refusals per role, OpenAPI."""

from __future__ import annotations

from factories import PASSWORD, add_assets

from market.infra.db import session_scope


def _auth(http, username):
    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_openapi_lists_every_endpoint(http):
    spec = http.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] == "公物仓 API"
    for path in ("/api/session", "/api/requests", "/api/requests/{id}/approve", "/api/proposals/{id}/accept",
                 "/api/orders/{id}/hand-out", "/api/orders/{id}/return", "/api/assets/{id}", "/api/listings"):
        assert path in spec["paths"], path
    assert spec["paths"]["/api/session"]["post"]["security"] == []


def test_whole_flow_through_the_api(http, world):
    with session_scope(write=True) as db:
        ids = [a.id for a in add_assets(db, world.health, world.chair, 5)]
        db.commit()
    mgr, staff, admin = _auth(http, "mgr_health"), _auth(http, "staff_edu"), _auth(http, "admin")
    r = http.post("/api/listings", headers=mgr, json={"asset_ids": ids, "title": "闲置会议椅", "mode": "both"})
    assert r.status_code == 200 and r.json()["quantity"] == 5, r.text
    r = http.post("/api/requests", headers=staff, json={"title": "座谈会", "purpose": "大型会议", "lines": [
        {"category_id": world.chair.id, "quantity": 8, "start_date": "2027-01-10", "end_date": "2027-01-11"}]})
    assert r.status_code == 200, r.text
    req = r.json()
    assert req["status"] == "submitted" and req["number"].startswith("XQ") and len(req["lines"]) == 1
    assert http.post(f"/api/requests/{req['id']}/approve", headers=admin).json()["status"] == "approved"
    prop = http.post("/api/proposals", headers=admin, json={"policy": "tiered", "time_limit": 20}).json()
    tiers = {a["tier"]: a["quantity"] for a in prop["solution"]["assignments"]}
    assert tiers == {"idle": 5, "rental": 3} and prop["saved_vs_new"] is not None
    rid = prop["problem"]["requests"][0]["id"]
    rental = next(a["source"] for a in prop["solution"]["assignments"] if a["tier"] == "rental")
    r = http.post(f"/api/proposals/{prop['id']}/edit", headers=admin,
                  json={"changes": [{"request": rid, "source": rental, "quantity": 0}]})
    assert r.status_code == 200 and r.json()["solution"]["unmet"] == [{"request": rid, "quantity": 3}]
    assert http.post(f"/api/proposals/{prop['id']}/accept", headers=admin).json()["status"] == "accepted"
    orders = http.get("/api/orders", headers=staff).json()["orders"]
    assert len(orders) == 1 and orders[0]["kind"] == "loan"
    oid = orders[0]["id"]
    detail = http.get(f"/api/orders/{oid}", headers=admin).json()
    tags = [i["tag"] for i in detail["items"]]
    r = http.post(f"/api/orders/{oid}/hand-out", headers=admin, json={"tags": tags[:2]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "tags"
    assert http.post(f"/api/orders/{oid}/hand-out", headers=admin, json={"tags": tags}).json()["status"] == "on_loan"
    inspections = [{"asset_id": i["asset_id"], "condition": "良好"} for i in detail["items"]]
    inspections[0] = {"asset_id": detail["items"][0]["asset_id"], "condition": "一般", "cause": "wear",
                      "description": "坐垫磨损"}
    r = http.post(f"/api/orders/{oid}/return", headers=admin, json={"inspections": inspections})
    assert r.status_code == 200 and r.json()["status"] == "returned" and r.json()["damages"][0]["cause"] == "wear"
    asset = http.get(f"/api/assets/{detail['items'][0]['asset_id']}", headers=admin).json()
    assert [e["action"] for e in asset["history"]] == ["list", "allocate", "hand_out", "return", "wear"]
    assert http.get("/api/assets/lookup", headers=admin, params={"tag": tags[0]}).json()["tag"] == tags[0]


def test_refusals_for_each_role(http, world):
    with session_scope(write=True) as db:
        ids = [a.id for a in add_assets(db, world.health, world.chair, 2)]
        db.commit()
    staff, mgr_edu, finance, sysadmin = (_auth(http, u) for u in ("staff_edu", "mgr_edu", "finance", "sysadmin"))
    # another unit's manager cannot post these items; the supervisor and the system admin cannot either
    for who in (mgr_edu, finance, sysadmin, staff):
        r = http.post("/api/listings", headers=who, json={"asset_ids": ids})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = http.post("/api/requests", headers=staff, json={"title": "会议", "lines": [
        {"category_id": world.chair.id, "quantity": 2, "start_date": "2027-01-10", "end_date": "2027-01-11"}]})
    rid = r.json()["id"]
    for who in (staff, mgr_edu, finance, sysadmin):
        assert http.post(f"/api/requests/{rid}/approve", headers=who).status_code == 403
    assert http.post("/api/proposals", headers=finance, json={}).status_code == 403
    assert http.get("/api/proposals", headers=staff).status_code == 403
    assert http.get(f"/api/requests/{rid}", headers=_auth(http, "staff_health")).status_code == 403
    assert http.post("/api/warehouse/receive", headers=mgr_edu, json={
        "warehouse_id": world.warehouse.id, "category_id": world.chair.id, "name": "椅", "quantity": 1,
        "original_value": "10"}).status_code == 403


def test_bad_input_is_a_structured_4xx(http, world):
    staff = _auth(http, "staff_edu")
    cases = [
        ({"title": "x", "lines": []}, "lines"),
        ({"title": "x", "lines": [{"category_id": world.chair.id, "quantity": 0, "start_date": "2027-01-01"}]},
         "lines[0].quantity"),
        ({"title": "x", "lines": [{"category_id": world.chair.id, "quantity": "5", "start_date": "2027-01-01"}]},
         "quantity"),
        ({"title": "x", "lines": [{"category_id": 99999, "quantity": 5, "start_date": "2027-01-01"}]},
         "lines[0].category_id"),
        ({"title": "x", "lines": [{"category_id": world.chair.id, "quantity": 5, "start_date": "2027-02-01",
                                   "end_date": "2027-01-01"}]}, "lines[0].end_date"),
        ({"title": "x", "lines": [{"category_id": world.chair.id, "quantity": 5, "start_date": "soon"}]},
         "lines[0].start_date"),
        ({"title": "x", "lines": "all of them"}, "lines"),
        (["not", "an", "object"], None),
    ]
    for body, fld in cases:
        r = http.post("/api/requests", headers=staff, json=body)
        assert 400 <= r.status_code < 500, (body, r.text)
        err = r.json()["error"]
        assert err["message"] and (fld is None or err["field"] == fld), (body, err)
    assert http.get("/api/requests/99999999", headers=staff).status_code == 404
    assert http.get("/api/requests/abc", headers=staff).status_code in (404, 422)
    r = http.post("/api/requests", headers=staff, content=b"x" * 2_000_000)
    assert r.status_code == 413


def test_cookie_session_needs_the_csrf_header(http, world):
    import re

    from conftest import login

    login(http, "staff_edu")
    body = {"title": "会议", "lines": [{"category_id": world.chair.id, "quantity": 2, "start_date": "2027-01-10",
                                       "end_date": "2027-01-11"}]}
    r = http.post("/api/requests", json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/").text).group(1)
    assert http.post("/api/requests", json=body, headers={"X-CSRF-Token": token}).status_code == 200


def test_admin_transfer_and_disposal_through_the_api(http, world):
    sysadmin, admin, finance, mgr = (_auth(http, u) for u in ("sysadmin", "admin", "finance", "mgr_edu"))
    r = http.post("/api/units", headers=sysadmin, json={"code": "TYJ", "name": "市体育局", "district": "涪城区",
                                                         "lat": 31.4, "lng": 104.7})
    assert r.status_code == 200 and r.json()["name"] == "市体育局"
    assert http.post("/api/units", headers=admin, json={"code": "X", "name": "X", "district": "X", "lat": 1,
                                                         "lng": 1}).status_code == 403
    r = http.post("/api/users", headers=sysadmin, json={"username": "li.na", "role": "unit_staff",
                                                         "password": "long-enough-2", "unit_id": world.edu.id})
    assert r.status_code == 200 and "password_hash" not in r.json()
    assert http.get("/api/users", headers=admin).status_code == 403
    r = http.post(f"/api/categories/{world.chair.id}", headers=admin, json={"transport_rate": "0.9",
                                                                           "reference_price": 380})
    assert r.status_code == 200 and r.json()["reference_price"] == "380.00"
    r = http.post("/api/offers", headers=admin, json={"vendor_id": world.vendor.id, "category_id": world.laptop.id,
                                                       "price_per_unit_day": "35", "capacity": 50})
    assert r.status_code == 200 and r.json()["capacity"] == 50
    r = http.post("/api/rules", headers=sysadmin, json={"action": "disposal", "min_value": "1000000",
                                                         "steps": ["finance"]})
    assert r.status_code == 200
    with session_scope(write=True) as db:
        ids = [a.id for a in add_assets(db, world.edu, world.laptop, 2, name="笔记本电脑", value="5000",
                                        status="idle")]
        db.commit()
    r = http.post("/api/transfers", headers=mgr, json={"asset_ids": ids[:1], "to_unit_id": world.health.id})
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert http.post(f"/api/transfers/{r.json()['id']}/approve", headers=admin).status_code == 403
    assert http.post(f"/api/transfers/{r.json()['id']}/approve", headers=finance).json()["status"] == "completed"
    case = http.post("/api/disposals", headers=mgr, json={"asset_ids": ids[1:], "method": "scrap",
                                                           "reason": "损坏"}).json()
    steps = [(finance, {"step": "approve"}), (admin, {"step": "appraise", "value": "100", "appraiser": "某评估"}),
             (admin, {"step": "sell", "channel": "拍卖", "buyer": "回收公司", "proceeds": "95"}),
             (finance, {"step": "confirm_sale"}),  # 95 of a book value of 5,000: finance approves again
             (admin, {"step": "remit", "voucher": "FS-1"}), (admin, {"step": "write_off"})]
    for who, body in steps:
        r = http.post(f"/api/disposals/{case['id']}/step", headers=who, json=body)
        assert r.status_code == 200, (body, r.text)
    assert r.json()["status"] == "disposed"
    r = http.post(f"/api/disposals/{case['id']}/step", headers=admin, json={"step": "write_off"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_state"


def test_supervision_endpoints(http, world):
    finance, admin, staff = _auth(http, "finance"), _auth(http, "admin"), _auth(http, "staff_edu")
    body = http.get("/api/stats", headers=finance).json()
    assert body["figures"][0]["label"] == "在账资产" and "method" in body["figures"][0]
    assert http.get("/api/stats", headers=staff).status_code == 403
    assert http.get("/api/stats/records", headers=finance, params={"kind": "idle"}).json()["headers"][0] == "资产编号"
    ev = http.get("/api/evaluation", headers=finance).json()
    assert set(ev["indicators"]) >= {"idle_rate", "count_accuracy"}
    assert http.post("/api/evaluation/weights", headers=finance, json={"idle_rate": 10}).status_code == 403
    c = http.post("/api/counts", headers=admin, json={"warehouse_id": world.warehouse.id}).json()
    r = http.post(f"/api/counts/{c['id']}/reads", headers=admin, json={"reads": ["UNKNOWN-1"]})
    assert r.json() == {"matched": 0, "unexpected": 1, "repeated": 0}
    issue = http.get(f"/api/counts/{c['id']}", headers=admin).json()["issues"][0]
    assert issue["kind"] == "unexpected"
    assert http.post(f"/api/counts/lines/{issue['line_id']}/resolve", headers=admin,
                     json={"resolution": "accepted"}).status_code == 200
    assert http.post(f"/api/counts/{c['id']}/close", headers=admin).json()["status"] == "closed"
    assert http.get("/api/purchasing", headers=admin).json()["needs"] == []
    assert http.post("/api/purchasing/batches", headers=admin,
                     json={"category_id": world.chair.id}).json()["error"]["code"] == "invalid_state"
    idle = http.get("/api/idle", headers=admin).json()
    assert idle["idle_assets"] == [] and idle["total"] == 0 and idle["days"] == 180


def test_nul_characters_are_refused_cleanly(http, world):
    from conftest import login

    staff = _auth(http, "staff_edu")
    r = http.get("/api/assets/lookup", headers=staff, params={"tag": "A\x00B"})
    assert r.status_code == 400 and "NUL" in r.json()["error"]["message"]
    r = http.post("/api/requests", headers=staff, json={"title": "会\x00议", "lines": []})
    assert r.status_code == 400
    for path in ("/api/search", "/api/suggest"):  # answered from memory, checked on the raw query string
        for params in ({"q": "椅\x00"}, {"district": "\x00"}, {"q": "hy", "sort": "distance\x00"}):
            r = http.get(path, headers=staff, params=params)
            assert r.status_code == 400 and "NUL" in r.json()["error"]["message"], (path, params)
        assert http.get(path + "?q=%e6%a4%85%00", headers=staff).status_code == 400
    login(http, "staff_edu")
    assert http.get("/", params={"q": "椅\x00"}).status_code == 400
