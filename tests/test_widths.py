"""No page scrolls sideways on a phone (390 px), a tablet (820 px) or a laptop (1366 px) — issue 17.4.

Every page is found by following the links a person sees, from the pool page, as each of four roles, in the world
of the visibility matrix (objects of every type, so detail pages are reached too). One page per route pattern (ids
collapsed) is measured at each width; print sheets (A4 by design) and downloads are left out."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from conftest import ARTIFACTS
from vis_world import PASSWORD, build_vis_world

WIDTHS = (390, 820, 1366)
ROLES = ("mgr_edu", "admin", "finance", "sysadmin")
SKIP = re.compile(r"/(print|labels?)(/|$)|\.(csv|xlsx|pdf|svg|png)$|^/(logout|api/|static/)|format=|export")
MAX_PAGES = 150


def _pattern(path: str) -> str:
    return re.sub(r"/\d+", "/{n}", path)


def _crawl(page) -> list[str]:
    """Same-origin pages reachable from "/" by links, one per route pattern, in the order they were found."""
    seen: dict[str, str] = {}
    queue = ["/"]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if _pattern(path) in seen:
            continue
        response = page.goto(path)
        if response is None or response.status != 200 or "/login" in page.url:
            continue
        seen[_pattern(path)] = path
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.query or SKIP.search(href):
                continue
            if _pattern(parts.path) not in seen:
                queue.append(parts.path)
    return list(seen.values())


@pytest.fixture()
def vis_world(live_server, database_url):
    from conftest import empty_database as empty

    from market.infra.principals import forget_all
    from market.pool.index import reset_pool_index

    reset_pool_index()
    forget_all()
    empty(database_url)
    return build_vis_world()


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways(browser, live_server, vis_world, role):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    pages = _crawl(page)
    assert len(pages) >= (8 if role == "sysadmin" else 15), pages  # the crawl found the pages a person uses
    wide: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in pages:
            page.goto(path)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                wide.append(f"{width}px {path}: {overflow}px")
                page.screenshot(path=str(ARTIFACTS / f"wide-{role}-{width}-{_pattern(path).strip('/').replace('/', '_') or 'pool'}.png"))
    context.close()
    print(f"\n{role}: {len(pages)} pages × {len(WIDTHS)} widths measured: {' '.join(map(_pattern, pages))}")
    assert not wide, "pages that scroll sideways:\n" + "\n".join(wide)
