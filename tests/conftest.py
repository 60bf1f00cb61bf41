"""Test set-up: one database for the run (SQLite by default, PostgreSQL when DATABASE_URL names one),
emptied before each test, and a small world of units, people and categories to act in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

PG_SCHEMA = f"gwc_test_{os.getpid()}"  # a schema per run: two runs on one server never meet


def _test_database_url(tmp: Path) -> str:
    # The URL the run was started with, kept aside: under pytest-xdist every worker inherits the controller's
    # environment, where DATABASE_URL already names the controller's schema; each process takes its own.
    url = os.environ.setdefault("GWC_TEST_BASE_DATABASE_URL", os.environ.get("DATABASE_URL", ""))
    if url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        # A schema of our own on the shared server, so nothing else in the database is touched.
        import psycopg

        plain = "postgresql://" + url.split("://", 1)[1]
        try:
            with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
                conn.execute(f"CREATE SCHEMA {PG_SCHEMA}")
        except psycopg.OperationalError as exc:
            pytest.exit(f"PostgreSQL at DATABASE_URL does not answer: {exc}", returncode=3)
        sep = "&" if "?" in url else "?"
        return f"{url}{sep}options=-csearch_path%3D{PG_SCHEMA}"
    return f"sqlite:///{tmp / 'test.db'}"


_TMP: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="gwc-test-"))
    _TMP.append(tmp)
    os.environ["GONGWUCANG_DATA"] = str(tmp / "data")
    os.environ["DATABASE_URL"] = _test_database_url(tmp)
    os.environ.setdefault("GONGWUCANG_SECRET", "test-secret")
    # no hourly or half-second timers in the test server: they would race the emptying of the database
    os.environ["GONGWUCANG_BACKGROUND"] = "0"
    from market.infra.config import settings

    settings.cache_clear()


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    for tmp in _TMP:
        shutil.rmtree(tmp, ignore_errors=True)
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        import psycopg

        from market.infra.db import dispose_engines

        dispose_engines()
        plain = "postgresql://" + url.split("://", 1)[1].split("?", 1)[0]
        try:
            with psycopg.connect(plain, autocommit=True, connect_timeout=5) as conn:
                for schema in (PG_SCHEMA, f"{PG_SCHEMA}_fresh"):
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        except psycopg.Error:
            pass  # the server went away; nothing to clean


def pytest_report_header(config: pytest.Config) -> str:
    from market.infra.config import settings

    url = settings().database_url
    return f"database: {'PostgreSQL (schema ' + PG_SCHEMA + ')' if url.startswith('postgresql') else 'SQLite'}"


@pytest.fixture()
def fresh_database_url(tmp_path: Path) -> str:
    """An empty database of its own (not migrated): a new SQLite file, or a new PostgreSQL schema."""
    from market.infra.config import settings

    url = settings().database_url
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    import psycopg

    schema = f"{PG_SCHEMA}_fresh"
    base = url.split("?", 1)[0]
    with psycopg.connect("postgresql://" + base.split("://", 1)[1], autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    return f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def database_url() -> str:
    from market.infra.config import settings
    from market.infra.db import upgrade

    url = settings().database_url
    upgrade(url)
    return url


@pytest.fixture()
def clean_db(database_url: str) -> str:
    from market.infra.principals import forget_all
    from market.pool.index import reset_pool_index, synonyms_path

    reset_pool_index()  # the index of the previous test's data
    forget_all()  # and who its users were
    synonyms_path().unlink(missing_ok=True)
    empty_database(database_url)
    return database_url


def empty_database(url: str) -> None:
    """Every table emptied and its ids restarted (the schema stays)."""
    from market.infra.db import get_engine
    from market.models import metadata

    engine = get_engine(url)
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        else:
            for t in tables:
                conn.exec_driver_sql(f'DELETE FROM "{t}"')
            if conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'").first():
                conn.exec_driver_sql("DELETE FROM sqlite_sequence")


@pytest.fixture()
def db(clean_db: str):
    from market.infra.db import session_scope

    with session_scope(clean_db) as session:
        yield session


@pytest.fixture()
def world(db):
    from factories import build_world

    return build_world(db)


@pytest.fixture(scope="session")
def live_server(database_url: str):
    """The app served by uvicorn on a free loopback port, in a thread: tests talk real HTTP to it."""
    import socket
    import threading
    import time

    import uvicorn

    from web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Keep-alive outlasts any pause of a test: with uvicorn's 5 s, a client reusing a connection the server is just
    # closing (a test that paused longer on a busy machine) was answered "connection reset".
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning",
                                          timeout_keep_alive=600))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def served(fresh_database_url: str, tmp_path: Path):
    """The app as its own process (``gongwucang serve``) on a fresh database with the test world: (server, world,
    data directory, database URL), for tests that measure or kill a real server."""
    from factories import build_world
    from served import Served

    from market.infra.db import dispose_engines, session_scope, upgrade

    url = fresh_database_url
    upgrade(url)
    with session_scope(url, write=True) as db:
        w = build_world(db)
        db.commit()
    data = tmp_path / "data"
    with Served(data, url) as server:
        yield server, w, data, url
    dispose_engines()


@pytest.fixture()
def http(live_server: str, world):
    import httpx
    from api_schema import check

    # every answer from /api/ is checked against the OpenAPI schema (tests/api_schema.py)
    with httpx.Client(base_url=live_server, follow_redirects=False, timeout=30,
                      event_hooks={"response": [check]}) as client:
        yield client


def csrf(html: str) -> str:
    """The CSRF token a page carries in its forms."""
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, username: str, password: str | None = None):
    """Sign in through the login form as a browser would (CSRF token from the page)."""
    from factories import PASSWORD

    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password or PASSWORD,
                                       "csrf_token": csrf(page.text), "next": "/"})


def restore_page_session(db, user, client) -> None:  # noqa: ANN001
    """Put back the server's row of the page session that ``client``'s signed cookie names, after the database
    was emptied under a signed-in client (the matrices rebuild their world; signing in again costs argon2)."""
    import base64
    import json

    from market.accounts import SESSION_LIFETIME
    from market.infra.principals import digest
    from market.models import ApiToken, utcnow

    payload = client.cookies["gwc_session"].split(".")[0]
    sid = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))["sid"]
    db.add(ApiToken(user_id=user.id, token_hash=digest(sid), kind="cookie", expires_at=utcnow() + SESSION_LIFETIME))


class Dialogs:
    """How a test's browser page answers the page's confirmations, and what they asked."""

    def __init__(self) -> None:
        self.accept = True
        self.asked: list[str] = []

    def answer(self, dialog) -> None:  # noqa: ANN001
        self.asked.append(dialog.message)
        dialog.accept() if self.accept else dialog.dismiss()


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def playwright_driver():
    """Playwright, once per test process (a second one cannot start beside it in the same thread)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium): browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Debian's headless Chromium driven by Playwright (never a downloaded browser build)."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture()
def page(browser, live_server, world):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    # A confirmation (采纳, 作废, 核销 … ask before they act) is answered yes, as a person who meant it would; a test
    # may read the questions asked (``page.dialogs.asked``) and answer no (``page.dialogs.accept = False``).
    pg.dialogs = Dialogs()
    pg.on("dialog", pg.dialogs.answer)
    yield pg
    context.close()
