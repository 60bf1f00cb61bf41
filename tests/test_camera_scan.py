"""Scanning with a camera (issue 17.2): Chromium is given a fake camera that films a printed label (its QR code,
as the label sheet prints it: the asset page's address), and the pick list ticks that item; the count page lists
its tag. The frames are read by the browser's BarcodeDetector where it has one, else by the server (/api/scan)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest
import segno
from conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from factories import PASSWORD
from sqlmodel import select

from market import counts
from market import orders as ords
from market.assets import asset_link
from market.infra import scanning
from market.infra.db import session_scope
from market.models import Asset, User
from market.pool import listings as pool
from market.requests import LineInput, approve_request, request_lines, submit_request

WIDTH, HEIGHT = 640, 480


def label_video(path: Path, text: str, frames: int = 10) -> Path:
    """A Y4M video of a printed label: the QR code of ``text`` (as qr.qr_svg draws it: error level M, a quiet zone),
    black on white paper, slightly off centre, as a phone held over the sheet sees it."""
    q = segno.make(text, error="m")
    modules = np.pad(np.array([[0 if v else 255 for v in row] for row in q.matrix], dtype=np.uint8), 4,
                     constant_values=255)
    scale = min(WIDTH, HEIGHT) * 3 // 4 // modules.shape[0]
    code = np.kron(modules, np.ones((scale, scale), dtype=np.uint8))
    y = np.full((HEIGHT, WIDTH), 235, np.uint8)  # paper under office light
    top, left = (HEIGHT - code.shape[0]) // 2 + 8, (WIDTH - code.shape[1]) // 2 - 20
    y[top:top + code.shape[0], left:left + code.shape[1]] = np.where(code == 0, 20, 235)
    chroma = np.full((HEIGHT // 2, WIDTH // 2), 128, np.uint8)
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + y.tobytes() + chroma.tobytes() + chroma.tobytes())
    return path


def test_the_server_reads_a_grey_frame_and_refuses_a_wrong_one():
    q = segno.make("WH1-T000001", error="m")
    modules = np.pad(np.array([[0 if v else 255 for v in row] for row in q.matrix], dtype=np.uint8), 4,
                     constant_values=255)
    frame = np.kron(modules, np.ones((6, 6), dtype=np.uint8))
    h, w = frame.shape
    assert scanning.decode_frame(frame.tobytes(), w, h) == ["WH1-T000001"]
    assert scanning.decode_frame(bytes(64 * 64), 64, 64) == []  # a dark frame: nothing, no error
    from market.errors import InvalidInput

    with pytest.raises(InvalidInput, match="字节"):
        scanning.decode_frame(b"\x00" * 10, 64, 64)
    with pytest.raises(InvalidInput, match="画面尺寸"):
        scanning.decode_frame(b"", 4000, 3000)


def _order_to_pick(world):
    with session_scope(write=True) as db:
        admin = db.get(User, world.user("admin").id)
        listing = pool.receive_items(db, admin, world.warehouse.id, world.chair.id, "会议椅", 3, "300")
        req = submit_request(db, db.get(User, world.user("staff_edu").id), "会议",
                             [LineInput(world.chair.id, 2, date(2026, 12, 20), date(2026, 12, 22))])
        approve_request(db, admin, req.id)
        order = ords.allocate_from_listing(db, admin, request_lines(db, req.id)[0].id, listing.id, 2)
        items = [a for _, a in ords.order_items(db, order.id)]
        return order.id, [(a.id, a.tag) for a in items]


def _camera_page(playwright_driver, live_server, video: Path):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844},
                                  has_touch=True)
    context.grant_permissions(["camera"], origin=live_server)
    return browser, context.new_page()


def _sign_in(page, username):
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_phone_camera_ticks_the_scanned_item_on_the_pick_list(playwright_driver, live_server, world, tmp_path):
    order_id, items = _order_to_pick(world)
    (asset_id, tag), (_, other) = items
    video = label_video(tmp_path / "label.y4m", asset_link(live_server, asset_id))
    browser, page = _camera_page(playwright_driver, live_server, video)
    try:
        _sign_in(page, "admin")
        page.goto(f"/orders/{order_id}")
        assert page.locator("[data-scanner]").is_visible()
        page.click("[data-scan-toggle]")
        page.wait_for_selector(f"input[name=tag][value='{tag}']:checked", timeout=20000)
        assert not page.locator(f"input[name=tag][value='{other}']").is_checked()  # only what the camera saw
        assert f"已扫到 {tag}" in page.locator("[data-scan-status]").inner_text()
        page.screenshot(path=str(ARTIFACTS / "camera-pick-list.png"), full_page=True)
        page.click("[data-scan-toggle]")  # stop: the camera is released
    finally:
        browser.close()


def test_the_count_page_lists_what_the_camera_read(playwright_driver, live_server, world, tmp_path):
    with session_scope(write=True) as db:
        admin = db.get(User, world.user("admin").id)
        listing = pool.receive_items(db, admin, world.warehouse.id, world.chair.id, "会议椅", 2, "300")
        asset = db.exec(select(Asset).where(Asset.listing_id == listing.id).order_by(Asset.tag)).first()
        count = counts.start_count(db, admin, warehouse_id=world.warehouse.id)
        target = (count.id, asset.id, asset.tag)
    video = label_video(tmp_path / "label.y4m", asset_link(live_server, target[1]))
    browser, page = _camera_page(playwright_driver, live_server, video)
    try:
        _sign_in(page, "admin")
        page.goto(f"/counts/{target[0]}")
        page.click("[data-scan-toggle]")
        page.wait_for_selector("[data-scan-status]:has-text('已扫到')", timeout=20000)
        assert page.locator("textarea[name=tags]").input_value().split() == [target[2]]
        page.click("[data-scan-toggle]")
        page.click("form[action$='/scan'] button[type=submit]")
        page.wait_for_selector("p.ok")
        assert "账内 1 件" in page.locator("p.ok").inner_text()
    finally:
        browser.close()
