"""Scanning goes somewhere (issue 17.2): a label's QR code holds the asset page's address, every page has a box
to scan or type a tag into, and /assets/lookup without a tag is a form, not an error."""

from __future__ import annotations

from conftest import login
from factories import add_assets

from market.assets import asset_link
from market.infra.db import session_scope
from web.qr import qr_svg


def _chairs(world, n=2, unit=None, **kw):
    with session_scope(write=True) as db:
        ids = [a.id for a in add_assets(db, unit or world.edu, world.chair, n, **kw)]
        db.commit()
        return ids


def test_labels_and_the_asset_page_encode_the_page_address(http, live_server, world):
    (a, b) = _chairs(world)
    login(http, "mgr_edu")
    sheet = http.get("/assets/labels", params={"ids": f"{a},{b}"}).text
    for i in (a, b):
        assert qr_svg(asset_link(live_server, i), scale=3) in sheet
    assert qr_svg(asset_link(live_server, a)) in http.get(f"/assets/{a}").text
    assert asset_link("https://gwc.example.gov.cn/", 7) == "https://gwc.example.gov.cn/assets/7"


def test_lookup_form_header_box_and_scanned_links(http, live_server, world):
    (a,) = _chairs(world, 1)
    (other,) = _chairs(world, 1, unit=world.health, prefix="WJW")
    login(http, "staff_edu")
    home = http.get("/").text
    assert 'action="/assets/lookup"' in home and 'name="tag"' in home  # the box in every page's header
    form = http.get("/assets/lookup")
    assert form.status_code == 200 and "扫描标签上的二维码" in form.text
    # what a scanner gun types when it reads a label: the page address
    r = http.get("/assets/lookup", params={"tag": asset_link(live_server, a)})
    assert r.status_code == 303 and r.headers["location"] == f"/assets/{a}"
    miss = http.get("/assets/lookup", params={"tag": asset_link(live_server, other)})  # another unit's office item
    assert miss.status_code == 404 and "找不到该标签对应的资产" in miss.text and 'name="tag"' in miss.text
    assert http.get("/assets/lookup", params={"tag": "NO-SUCH-TAG"}).status_code == 404
