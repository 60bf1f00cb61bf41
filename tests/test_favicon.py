"""No page asks for something that is not there (issue 17.6: the favicon was a 404 on every page)."""

from __future__ import annotations

from factories import PASSWORD


def test_pages_load_without_a_single_404(page, world):
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.goto("/login")
    page.fill("input[name=username]", "staff_edu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto("/requests")
    page.wait_for_load_state("networkidle")
    assert page.locator("link[rel=icon]").get_attribute("href") == "/static/favicon.svg"
    assert missing == []
