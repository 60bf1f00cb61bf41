"""Issue 18, item 6: the browse page answered from memory like the search API (who is asking, their unread
notices, their unit's place, the category names), and every change that matters still showing at once."""

from __future__ import annotations

import re

from conftest import csrf, login
from sqlalchemy import event, update
from test_web import _listing

from market.infra import principals
from market.infra.db import get_engine, session_scope
from market.models import Category, Notice, User, utcnow
from market.notices import notify
from market.pool import index as pool_index_module
from market.pool.index import pool_index


def _unread(page: str) -> int:
    found = re.search(r'class="bell"[^>]*>消息(?:<span class="count">(\d+)</span>)?</a>', page)
    assert found, "the page header has no bell"
    return int(found.group(1) or 0)


def _facet_labels(page: str) -> str:
    return page[page.index('<aside class="facets"'):page.index("</aside>")]


def _statements(url: str, fn) -> list[str]:  # noqa: ANN001
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        seen.append(statement)

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen


def test_a_remembered_browse_page_asks_the_database_nothing(http, world, clean_db, monkeypatch):
    monkeypatch.setattr(principals, "TTL_SECONDS", 60.0)  # (a slow machine: no expiry or refresh meanwhile)
    monkeypatch.setattr(principals, "REFRESH_SECONDS", 60.0)
    _listing(world)
    assert login(http, "staff_edu").status_code == 303
    first = http.get("/", params={"q": "会议椅"})
    assert first.status_code == 200 and "震旦会议椅" in first.text.replace("<mark>", "").replace("</mark>", "")
    with session_scope(clean_db) as db:
        pool_index(db).next_probe = float("inf")  # the outbox was looked at just now
    pages = []
    statements = _statements(clean_db, lambda: pages.extend(http.get("/", params={"q": "会议椅"}) for _ in range(3)))
    assert statements == [], statements
    assert all(p.status_code == 200 and p.text == first.text.replace(csrf(first.text), csrf(p.text)) for p in pages)
    assert world.users["staff_edu"].display_name in first.text and "会议椅" in _facet_labels(first.text)


def test_signing_out_refuses_the_next_page_though_remembered(http, world):
    assert login(http, "staff_edu").status_code == 303
    page = http.get("/")
    assert page.status_code == 200
    saved = http.cookies["gwc_session"]
    assert http.post("/logout", data={"csrf_token": csrf(page.text)}).status_code == 303
    http.cookies.set("gwc_session", saved)  # a copy of the cookie kept from before
    r = http.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_disabled_account_or_a_new_role_refuses_the_next_page(http, world):
    admin = {"Authorization": f"Bearer {_api_token(http, 'sysadmin')}"}
    for who, change in (("staff_edu", {"is_active": False}), ("staff_health", {"role": "unit_manager"})):
        assert login(http, who).status_code == 303
        assert http.get("/").status_code == 200  # remembered now
        r = http.post(f"/api/users/{world.users[who].id}", headers=admin, json=change)
        assert r.status_code == 200, r.text
        r = http.get("/")
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), change


def test_a_new_name_shows_on_the_next_page(http, world):
    assert login(http, "staff_edu").status_code == 303
    assert "教育局小王" not in http.get("/").text
    with session_scope(write=True) as db:
        db.get(User, world.users["staff_edu"].id).display_name = "教育局小王"
        db.commit()
    assert "教育局小王" in http.get("/").text


def test_a_new_notice_shows_in_the_next_pages_count_and_reading_it_clears_it(http, world):
    assert login(http, "staff_edu").status_code == 303
    assert _unread(http.get("/").text) == 0
    uid = world.users["staff_edu"].id
    with session_scope(write=True) as db:
        assert notify(db, [uid], "loan_due", "测试通知", "/notices", "browse-test-1") == 1
        db.commit()
    page = http.get("/").text
    assert _unread(page) == 1
    assert http.post("/notices/read", data={"csrf_token": csrf(page), "next": "/"}).status_code == 303
    assert _unread(http.get("/").text) == 0


def test_a_notice_added_by_another_process_shows_within_the_ttl(http, world, clean_db, monkeypatch):
    monkeypatch.setattr(principals, "REFRESH_SECONDS", principals.TTL_SECONDS)  # no refresh ahead of expiry
    assert login(http, "staff_edu").status_code == 303
    assert _unread(http.get("/").text) == 0
    with get_engine(clean_db).begin() as conn:  # no session: what another process's commit looks like here
        conn.execute(Notice.__table__.insert().values(user_id=world.users["staff_edu"].id, kind="loan_due",
                                                      text="别处的通知", link="/notices", key="browse-test-2",
                                                      created_at=utcnow()))
    assert _unread(http.get("/").text) == 0  # remembered: at most TTL_SECONDS
    monkeypatch.setattr(principals, "TTL_SECONDS", 0.0)  # the TTL has passed
    assert _unread(http.get("/").text) == 1


def test_a_renamed_category_shows_at_once_here_and_within_the_ttl_from_elsewhere(http, world, clean_db,
                                                                                 monkeypatch):
    from market.catalogue import update_category

    _listing(world)
    assert login(http, "staff_edu").status_code == 303
    assert "会议椅" in _facet_labels(http.get("/").text)
    with session_scope(write=True) as db:  # this process: the next page has it
        update_category(db, db.get(User, world.users["sysadmin"].id), world.chair.id, "0.8", "300", name="会议座椅")
    labels = _facet_labels(http.get("/").text)
    assert "会议座椅" in labels and ">会议椅<" not in labels

    with get_engine(clean_db).begin() as conn:  # another process: no session event here
        conn.execute(update(Category.__table__).where(Category.__table__.c.id == world.chair.id)
                     .values(name="报告厅座椅"))
    with session_scope(clean_db) as db:
        pool_index(db).next_probe = float("inf")
    assert "会议座椅" in _facet_labels(http.get("/").text)  # remembered: at most NAMES_SECONDS
    monkeypatch.setattr(pool_index_module, "NAMES_SECONDS", 0.0)  # that long has passed
    with session_scope(clean_db) as db:
        pool_index(db).next_probe = 0.0  # and the next page looks at the outbox (and reads the names)
    http.get("/")  # (the look runs beside this page)
    assert "报告厅座椅" in _facet_labels(http.get("/").text)


def test_the_page_for_nobody_and_bad_input(http, world):
    r = http.get("/", params={"q": "会议椅"})
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
    assert login(http, "staff_edu").status_code == 303
    r = http.get("/", params={"sort": "cheapest"})
    assert r.status_code == 422 and "sort 须为" in r.text and 'lang="zh-CN"' in r.text
    r = http.get("/?q=%00")
    assert r.status_code == 400 and "NUL" in r.text


def _api_token(http, username: str) -> str:
    from factories import PASSWORD

    r = http.post("/api/session", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def test_templates_escape_every_output_as_markupsafe_does():
    """``web.templating`` writes each ``{{ … }}`` through ``escape_text``: the same text as Jinja's own escaping
    for strings, numbers, None, marked-safe values, macros and set blocks; unescaped where autoescape is off."""
    from jinja2 import Environment
    from markupsafe import Markup

    from web.templating import templates

    source = ("{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{% set block %}<b>{{ v }}</b>{% endset %}"
              "{{ v }}|{{ n }}|{{ none_ }}|{{ safe }}|{{ v|safe }}|{{ m(v) }}|{{ block }}|{{ missing }}|{{ v ~ n }}"
              "|{{ items|join(',') }}|{% autoescape false %}{{ v }}{% endautoescape %}")
    values = {"v": "<a href=\"x\">'&'</a>", "n": 3.5, "none_": None, "safe": Markup("<em>ok</em>"),
              "items": ["<", Markup("<br>")]}
    plain = Environment(autoescape=True)
    assert "environment.escape_text(" in templates.env.compile(source, raw=True)
    assert templates.env.from_string(source).render(values) == plain.from_string(source).render(values)
