"""Bidirectional-control characters (issue 14, finding 9, in part): a location typed as ``\\u202egnp.exe`` was stored
and shown as "exe.png". Every text field refuses them — U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C —
with a Chinese message, in the one place each kind of input is read: the page forms and the JSON bodies at the
edge (``web.endpoints``), the spreadsheets and CSV files through ``market.fields`` (asset import, category
import). Checked for every state-changing route of the permission matrix's table, on both databases."""

from __future__ import annotations

import csv
import io
import re

import pytest
import test_permissions as perm
from conftest import csrf, login
from factories import PASSWORD, add_assets
from sqlmodel import select
from test_edge_limits import actor_for, env, refused_in_chinese, send  # noqa: F401  (env: the fixture)

from market import fields
from market.errors import InvalidInput
from market.infra.db import session_scope
from market.models import Asset, CountLine, User

RLO = "\u202egnp.exe"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("char", sorted(fields.BIDI_CONTROLS), ids=lambda c: f"U+{ord(c):04X}")
def test_every_bidi_control_is_refused_by_the_text_reader(char):
    with pytest.raises(InvalidInput) as exc:
        fields.text(f"会议室{char}A", 200, "location", "存放地点")
    assert exc.value.field == "location" and "控制字符" in exc.value.message
    # letters of right-to-left scripts and ordinary Chinese are text like any other
    assert fields.text("قاعة الاجتماعات 会议室 שלום", 200, "location", "存放地点").startswith("قاعة")


def _count(http, world) -> int:
    with session_scope(write=True) as db:
        add_assets(db, world.edu, world.chair, 1)
        db.commit()
    from market import counts

    with session_scope(write=True) as db:
        mgr = db.exec(select(User).where(User.username == "mgr_edu")).one()
        return counts.start_count(db, mgr, unit_id=world.edu.id).id


def _lines(count_id: int) -> list[CountLine]:
    with session_scope() as db:
        return list(db.exec(select(CountLine).where(CountLine.count_id == count_id)))


def test_a_reversed_location_is_refused_on_the_page_and_in_the_api(http, world):
    count_id = _count(http, world)
    before = [(x.tag, x.seen, x.seen_location) for x in _lines(count_id)]
    tag = before[0][0]
    login(http, "mgr_edu")
    page = http.get(f"/counts/{count_id}")
    r = http.post(f"/counts/{count_id}/scan", data={"tags": tag, "location": RLO, "csrf_token": csrf(page.text)})
    assert r.status_code == 422 and "控制字符" in r.text and "location" in r.text, r.text[:300]
    token = http.post("/api/session", json={"username": "mgr_edu", "password": PASSWORD}).json()["token"]
    r = http.post(f"/api/counts/{count_id}/reads", headers={"Authorization": f"Bearer {token}"},
                  json={"reads": [tag], "location": RLO})
    assert r.status_code == 422 and r.json()["error"]["field"] == "location" and CJK.search(r.json()["error"]["message"])
    r = http.post("/api/requests", headers={"Authorization": f"Bearer {token}"}, json={
        "title": "座谈会", "lines": [{"category_id": world.chair.id, "quantity": 1, "start_date": "2027-01-10",
                                     "end_date": "2027-01-11", "note": "送到\u2067三楼\u2069"}]})
    assert r.status_code == 422 and r.json()["error"]["field"] == "lines[0].note", r.text
    assert [(x.tag, x.seen, x.seen_location) for x in _lines(count_id)] == before  # nothing written
    # the same location without the override is taken
    r = http.post(f"/api/counts/{count_id}/reads", headers={"Authorization": f"Bearer {token}"},
                  json={"reads": [tag], "location": "gnp.exe"})
    assert r.status_code == 200, r.text


def test_an_imported_reversed_location_is_a_row_error(db, world):
    from market.imports import ImportRejected, import_assets

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["资产名称", "资产分类代码", "数量", "原值", "存放地点"])
    w.writerow(["会议椅", world.chair.code, 1, 300, RLO])
    mgr = db.exec(select(User).where(User.username == "mgr_edu")).one()
    with pytest.raises(ImportRejected) as exc:
        import_assets(db, mgr, world.edu.id, buf.getvalue().encode("utf-8"), "台账.csv")
    assert any("控制字符" in e.reason for e in exc.value.errors)
    db.rollback()
    assert not db.exec(select(Asset)).all()


def test_a_reversed_category_name_in_the_catalogue_file_is_refused(db, world):
    from market.catalogue import load_categories

    admin = db.exec(select(User).where(User.username == "admin")).one()
    with pytest.raises(InvalidInput, match="控制字符"):
        load_categories(db, admin, [{"分类代码": "A0501999", "分类名称": "折叠椅\u202e"}])


ENTRIES = [e for e in perm.ENTRIES if e.data is not None and e.path not in ("/login", "/api/session")]
STATS = {"routes": set(), "requests": 0}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.key for e in ENTRIES])
def test_every_route_refuses_a_bidi_control_in_its_text(env, entry):  # noqa: F811  (the imported fixture)
    """Each state-changing route with a body or form: its valid request with one text field reversed is refused
    with a Chinese message before anything is read."""
    m = env.ensure(entry)
    actor = actor_for(entry)
    setup = entry.setup(m) if entry.setup else {}
    data = entry.data(m, setup)

    def texts(value, path=()):  # noqa: ANN001, ANN202
        if isinstance(value, str):
            yield path
        elif isinstance(value, dict):
            for k, v in value.items():
                if "password" not in k:
                    yield from texts(v, (*path, k))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from texts(v, (*path, i))

    paths = list(texts(data))
    if not paths:  # a body of numbers only (a JSON list of ids, weights): a text field it does not declare
        data, paths = dict(data) | {"note": "x"}, [("note",)]
    for path in paths:
        body = perm_copy(data)
        target = body
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = target[path[-1]] + RLO if isinstance(target[path[-1]], str) else RLO
        r = send(env, entry, actor, setup, body)
        STATS["requests"] += 1
        assert refused_in_chinese(entry, r) and r.status_code == 422, (entry.key, path, r.status_code, r.text[:300])
    STATS["routes"].add(entry.route)


def perm_copy(value):  # noqa: ANN001, ANN201
    import json

    return json.loads(json.dumps(value))


def test_zz_figures():
    print(f"\nbidi: {STATS['requests']} requests with a reversed text field to {len(STATS['routes'])} routes, "
          f"all refused (422, Chinese)")


def test_a_reversed_tag_in_a_scanner_file_is_refused(http, world):
    """Tags read from an uploaded scanner file pass the same check as typed ones (nothing written)."""
    from market import counts
    from market.errors import InvalidInput

    count_id = _count(http, world)
    before = [(x.tag, x.seen) for x in _lines(count_id)]
    reads = counts.parse_reads(f"资产编号\n{before[0][0]}\nJYJ-\u202e0001\n".encode())
    with session_scope(write=True) as db:
        mgr = db.exec(select(User).where(User.username == "mgr_edu")).one()
        try:
            counts.record_reads(db, mgr, count_id, reads)
            raise AssertionError("a reversed tag was taken")
        except InvalidInput as exc:
            assert exc.field == "reads" and "控制字符" in exc.message
    assert [(x.tag, x.seen) for x in _lines(count_id)] == before
