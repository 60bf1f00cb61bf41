"""Lengths and ranges at the edge, the same on both databases: every state-changing page and API endpoint gets the
longest and largest values it accepts, and one past them.

The cases are not a hand list. The requests are the permission matrix's (``test_permissions.ENTRIES``: one per
state-changing route, each with the objects it acts on and a valid body or form), sent as an allowed person:

- API: the limits each endpoint declares in its body schema (``web.api.registry``: ``maxLength`` read from the
  model's column, ``MONEY_SCHEMA``'s range, number and integer ``maximum``), every field of the schema, nested
  ones (a request's lines, a return's inspections) in the first item;
- pages: the limits the page's handler reads its fields with, recorded while the valid form is sent once
  (``web.params.text`` / ``money`` / ``number`` and the services' ``market.fields`` readers).

Each limit gives: the longest text (``字`` × the column's length) or the largest number — answered 2xx/3xx — and
one character or one 分 past it — answered 4xx with a Chinese message (the page's alert, the API's error body),
never a 5xx. Every money field is also sent "NaN", "Infinity" and "1e20", and JSON ``NaN`` is sent raw. Run on
SQLite and on PostgreSQL (DATABASE_URL): PostgreSQL is where text longer than its varchar and numbers beyond
Numeric(14, 2) were 500s. The figures are printed at the end of the module.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import test_permissions as perm
from conftest import csrf
from factories import PASSWORD
from sqlalchemy import delete
from sqlmodel import select

from market import fields
from market.disposal import SALE_CHANNELS
from market.infra.db import session_scope
from market.models import ConfigStandard
from web import params

CJK = re.compile(r"[\u4e00-\u9fff]")
ORDER = ["admin", "sysadmin", "finance", "mgr_edu", "staff_edu", "mgr_health", "staff_health", "mgr_bureau"]
# an accepted value that would make the request do a great deal of work: only the one past it is sent
HEAVY = {("/api/warehouse/receive", "quantity"), ("/warehouse/receive", "quantity")}
BAD_MONEY = ["NaN", "Infinity", "-Infinity", "1e20", "1e13"]
STATS: dict[str, Any] = {"requests": 0, "accepted": 0, "refused": 0, "api_routes": set(), "page_routes": set(),
                         "fields": 0, "no_limit": set(), "limited": set()}


def actor_for(entry: perm.Entry) -> str:
    return next(a for a in ORDER if a in entry.allowed and a not in entry.noop)


# --- the limits ----------------------------------------------------------------------------------------------


def _schema_limits(schema: dict[str, Any] | None, base: Any, path: tuple = ()) -> Iterator[tuple[tuple, str, Any]]:
    """(path in the body, kind, limit) for every limited field of a body schema."""
    if not schema:
        return
    if schema.get("type") == "object" or "properties" in schema or "additionalProperties" in schema:
        props = dict(schema.get("properties") or {})
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and isinstance(base, dict) and base:
            props.setdefault(next(iter(base)), extra)  # a map of names to numbers: its first name
        for name, sub in props.items():
            yield from _schema_limits(sub, base.get(name) if isinstance(base, dict) else None, (*path, name))
        return
    if schema.get("type") == "array":
        if isinstance(base, list) and base and isinstance(base[0], dict):
            yield from _schema_limits(schema.get("items"), base[0], (*path, 0))
        return
    if schema.get("format") == "decimal":
        yield path, "money", fields.MAX_AMOUNT
    elif "maxLength" in schema:
        yield path, "text", schema["maxLength"]
    elif "maximum" in schema and "number" in str(schema.get("type")):
        yield path, "number", schema["maximum"]
    elif "maximum" in schema and "integer" in str(schema.get("type")):
        yield path, "integer", schema["maximum"]


def api_limits(entry: perm.Entry, base: Any) -> list[tuple[tuple, str, Any]]:
    from web.api.registry import ENDPOINTS

    declared = next(e for e in ENDPOINTS if e.method == entry.method and e.path == entry.path)
    return list(_schema_limits(declared.body, base))


@contextmanager
def recording() -> Iterator[dict[str, tuple[str, Any]]]:
    """The fields a page reads, and the limit each is read with (while a request runs in the live server)."""
    seen: dict[str, tuple[str, Any]] = {}
    service: dict[str, tuple[str, Any]] = {}
    text, money, number, integer = params.text, params.money, params.number, params.integer
    ftext, amount = fields.text, fields.amount

    def note(where: dict, name: str, kind: str, limit: Any) -> None:
        rank = {"text": 0, "integer": 1, "number": 1, "money": 2}
        if name not in where or rank[kind] > rank[where[name][0]]:
            where[name] = (kind, limit)

    def p_text(data, name, label, column, required=True):  # noqa: ANN001, ANN202
        note(seen, name, "text", fields.limit(column))
        return text(data, name, label, column, required)

    def p_money(data, name, label, required=False):  # noqa: ANN001, ANN202
        note(seen, name, "money", fields.MAX_AMOUNT)
        return money(data, name, label, required)

    def p_number(data, name, label, minimum, maximum):  # noqa: ANN001, ANN202
        note(seen, name, "number", maximum)
        return number(data, name, label, minimum, maximum)

    def p_integer(data, name, label, minimum=None, maximum=None, required=True):  # noqa: ANN001, ANN202
        if maximum is not None:
            note(seen, name, "integer", maximum)
        return integer(data, name, label, minimum, maximum, required)

    def f_text(value, column, field, label, required=False):  # noqa: ANN001, ANN202
        note(service, field, "text", fields.limit(column))
        return ftext(value, column, field, label, required)

    def f_amount(value, field, label):  # noqa: ANN001, ANN202
        note(service, field, "money", fields.MAX_AMOUNT)
        return amount(value, field, label)

    holders = [m for m in list(sys.modules.values()) if getattr(m, "amount", None) is amount]
    params.text, params.money, params.number, params.integer = p_text, p_money, p_number, p_integer
    fields.text = f_text
    for m in holders:
        m.amount = f_amount
    out: dict[str, tuple[str, Any]] = {}
    try:
        yield out
    finally:
        params.text, params.money, params.number, params.integer = text, money, number, integer
        fields.text = ftext
        for m in holders:
            m.amount = amount
        out["__service__"] = service  # type: ignore[assignment]
        out.update(seen)


def page_limits(recorded: dict[str, Any], base: dict[str, Any]) -> list[tuple[tuple, str, Any]]:
    service = recorded.pop("__service__")
    merged = dict(recorded)
    for name, got in service.items():  # a service's reading of a field the form sent (a disposal step's fields)
        if name in base and (name not in merged or got[0] == "money"):
            merged[name] = got
    vocab = {k for k, v in base.items() if v in SALE_CHANNELS}  # a vocabulary: only its words are accepted
    return [((name,), kind, limit) for name, (kind, limit) in sorted(merged.items()) if name not in vocab]


# --- the values --------------------------------------------------------------------------------------------


def longest_email(limit: int) -> str:
    """The longest address an e-mail field of ``limit`` characters takes: a 64-character local part and
    domain labels of at most 63."""
    local, domain = "a" * 64 + "@", "example.gov.cn"
    while len(local) + len(domain) < limit:
        room = limit - len(local) - len(domain) - 1
        domain = "b" * min(63, room) + "." + domain if room > 0 else domain
        if room <= 0:
            break
    return local + domain


def values(kind: str, limit: Any, base: Any, name: Any = None) -> tuple[Any, list[Any]]:
    """(the largest accepted value, the refused ones)."""
    if kind == "text" and name == "email":  # an address has a shape: the longest one, and one past its column
        return longest_email(limit), ["a" + longest_email(limit)]
    if kind == "text":
        ascii_only = isinstance(base, str) and base.isascii() and base
        ch = "A" if ascii_only else "字"
        return ch * limit, [ch * (limit + 1)]
    if kind == "money":
        top = fields.MAX_AMOUNT
        return str(top), [str(top + fields.money("0.01")), *BAD_MONEY]
    if kind == "number":
        return limit, [limit + 0.5, "NaN"]
    return limit, [limit + 1]


def _ints(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [i for v in value.values() for i in _ints(v)]
    if isinstance(value, list | tuple):
        return [i for v in value for i in _ints(v)]
    return []


def renamed(path: tuple, recorded: dict[str, Any], fresh: dict[str, Any]) -> tuple:
    """A page field named after an object of the recorded request (``note_17``: the note of item 17) renamed
    after the same object of a fresh one."""
    name = path[-1]
    # (the ids of the objects a request carries come after its own id: looked up from the last)
    for old, new in reversed(list(zip(_ints(recorded), _ints(fresh), strict=False))):
        if isinstance(name, str) and re.search(rf"_{old}$", name):
            return (*path[:-1], re.sub(rf"_{old}$", f"_{new}", name))
    return path


def put(body: Any, path: tuple, value: Any, page: bool) -> Any:
    body = json.loads(json.dumps(body or {}))
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = str(value) if page else value
    return body


# --- sending -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def env(live_server: str, database_url: str):
    from market.pool.index import reset_pool_index

    reset_pool_index()
    perm.empty(database_url)
    with session_scope(write=True) as db:
        world = perm.build_world(db)
        perm.add_bureau_manager(db, world)
        uids = {key: perm.Make.who(db, key).id for key in perm.SIGNED}
    clients = {}
    for key in ORDER:
        c = httpx.Client(base_url=live_server, follow_redirects=False, timeout=120)
        page = c.get("/login")
        r = c.post("/login", data={"username": key, "password": PASSWORD, "csrf_token": csrf(page.text), "next": "/"})
        assert r.status_code == 303, r.text
        c._gwc_csrf = csrf(c.get("/notices").text)  # type: ignore[attr-defined]
        clients[key] = c
    e = perm.Env(live_server, database_url, clients, httpx.Client(base_url=live_server, follow_redirects=False,
                                                                   timeout=120), uids=uids, world=world)
    yield e
    for c in [*clients.values(), e.api]:
        c.close()


def send(env: perm.Env, entry: perm.Entry, actor: str, setup: dict[str, Any], body: Any) -> httpx.Response:
    path = (entry.url or entry.path).format(**setup)
    files = entry.files(env.make, setup) if entry.files else None
    STATS["requests"] += 1
    if entry.api:
        env.api.cookies.clear()
        return env.api.request(entry.method, path, content=json.dumps(body, allow_nan=True).encode()
                               if body is not None else None,
                               headers={"Authorization": f"Bearer {env.tokens[actor]}",
                                        "Content-Type": "application/json"})
    client = env.pages[actor]
    return client.post(path, data=dict(body or {}) | {"csrf_token": perm._csrf_of(client)}, files=files)


def describe(r: httpx.Response) -> str:
    return f"{r.status_code} {perm._alert(r.text) or r.text[:300]}"


def refused_in_chinese(entry: perm.Entry, r: httpx.Response) -> bool:
    if not 400 <= r.status_code < 500:
        return False
    if entry.api:
        try:
            return bool(CJK.search(r.json()["error"]["message"]))
        except (ValueError, KeyError, TypeError):
            return False
    return bool(CJK.search(perm._alert(r.text)))


ENTRIES = [e for e in perm.ENTRIES
           if e.path not in ("/login", "/logout", "/api/session", "/imports", "/api/imports", "/api/scan")]


def test_the_entries_cover_every_state_changing_route():
    """The permission matrix's table covers every route (its own test says so); sign-in, sign-out and the import
    job, page and API (a file, parsed in the background: another test's business) and a camera frame (bytes, not
    fields) are the only ones left out here."""
    left = {(e.method, e.path) for e in perm.ENTRIES} - {(e.method, e.path) for e in ENTRIES}
    assert left == {("POST", "/login"), ("POST", "/logout"), ("POST", "/api/session"), ("DELETE", "/api/session"),
                    ("POST", "/imports"), ("POST", "/api/imports"), ("POST", "/api/scan")}
    assert {(e.method, e.path) for e in perm.ENTRIES} == perm._state_changing_routes()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.key for e in ENTRIES])
def test_longest_and_largest_accepted_one_past_refused(env, entry):
    m = env.ensure(entry)
    if entry.path.endswith("/purchase"):
        # Measured here: the field's own limits. The configuration standard's price cap refuses a price long before
        # the field's largest amount; the caps are tests/test_acquisitions.py's business.
        with session_scope(write=True) as db:
            db.execute(delete(ConfigStandard))
            db.commit()
    actor = actor_for(entry)
    params_ = entry.setup(m) if entry.setup else {}
    base = entry.data(m, params_) if entry.data else {}
    if entry.api:
        limits = api_limits(entry, base)
    else:
        with recording() as rec:
            r = send(env, entry, actor, params_, base)
        assert r.status_code < 400, f"{entry.key}: the valid form was refused: {describe(r)}"
        perm._settle(env, entry, r)
        limits = page_limits(rec, base or {})
    (STATS["api_routes"] if entry.api else STATS["page_routes"]).add(entry.route)
    if not limits:
        STATS["no_limit"].add(entry.key)
        return
    STATS["limited"].add(entry.route)
    failures = []
    refused_setup = entry.setup(m) if entry.setup else {}  # a refused request writes nothing: one object for all
    for path, kind, limit in limits:
        STATS["fields"] += 1
        current = base
        for key in path:
            current = current.get(key) if isinstance(current, dict) else (current[key] if current else None)
        ok, bad = values(kind, limit, current, path[-1])
        if (entry.path, path[-1]) not in HEAVY:
            fresh = entry.setup(m) if entry.setup else {}
            body = put(entry.data(m, fresh) if entry.data else {}, renamed(path, params_, fresh), ok, not entry.api)
            r = send(env, entry, actor, fresh, body)
            STATS["accepted"] += 1
            if r.status_code >= 400:
                failures.append(f"{'.'.join(map(str, path))} = {str(ok)[:12]}…({kind} {limit}) refused: {describe(r)}")
        for value in bad:
            body = put(entry.data(m, refused_setup) if entry.data else {}, renamed(path, params_, refused_setup),
                       value, not entry.api)
            r = send(env, entry, actor, refused_setup, body)
            STATS["refused"] += 1
            if not refused_in_chinese(entry, r):
                failures.append(f"{'.'.join(map(str, path))} = {str(value)[:12]}…({kind} {limit}) not refused in "
                                f"Chinese: {describe(r)}")
    assert not failures, f"{entry.key} as {actor}:\n" + "\n".join(failures)


def test_json_nan_and_infinity_are_refused_everywhere(env):
    """A JSON body with NaN or Infinity (which Python's json reads as floats) is refused by every write endpoint
    before anything is read, with a Chinese message."""
    from web.api.registry import ENDPOINTS

    env.ensure(ENTRIES[0])
    token = env.tokens["admin"]
    seen = 0
    for e in ENDPOINTS:
        if e.method == "GET" or e.path == "/api/session":
            continue
        for raw in (b'{"x": NaN}', b'{"x": -Infinity}', b'{"x": 1e400}'):
            r = env.api.request(e.method, e.path.replace("{id}", "1"), content=raw,
                                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            seen += 1
            assert 400 <= r.status_code < 500 and CJK.search(r.json()["error"]["message"]), (e.path, raw, r.text)
    STATS["nan"] = seen


def test_the_issue_cases(env):
    """Issue 14, finding 6, as reported: each was a 500 on PostgreSQL (or on both)."""
    m = env.ensure(perm.Entry("POST", "/issue-cases", frozenset()))
    admin = {"Authorization": f"Bearer {env.tokens['admin']}"}
    finance = {"Authorization": f"Bearer {env.tokens['finance']}"}
    sysadmin = {"Authorization": f"Bearer {env.tokens['sysadmin']}"}
    api = env.api

    def refused(r: httpx.Response, field: str | None = None) -> None:
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert CJK.search(err["message"]) and (field is None or err["field"] == field), err

    req, _ = m.request()
    refused(api.post(f"/api/requests/{req}/reject", headers=admin, json={"reason": "驳" * 501}), "reason")
    r = api.post(f"/api/requests/{req}/reject", headers=admin, json={"reason": "驳" * 500})
    assert r.status_code == 200 and r.json()["reject_reason"] == "驳" * 500
    allot = m.allot()["id"]
    refused(api.post(f"/api/transfers/{allot}/reject", headers=finance, json={"reason": "驳" * 501}), "reason")
    assert api.post(f"/api/transfers/{allot}/reject", headers=finance, json={"reason": "驳" * 500}).status_code == 200
    listing = m.listing()
    refused(api.post(f"/api/listings/{listing}/withdraw", headers=admin, json={"reason": "撤" * 450}), "reason")
    refused(api.post("/api/vendors", headers=sysadmin, json={"name": "租" * 400, "lat": 31.5, "lng": 104.6}), "name")
    # two names sharing their first 100 characters: both refused as too long, neither cut to the same stored name
    for last in "甲乙":
        refused(api.post("/api/vendors", headers=sysadmin,
                         json={"name": "租" * 100 + last, "lat": 31.5, "lng": 104.6}), "name")
    assert api.post("/api/vendors", headers=sysadmin, json={"name": "租" * 100, "lat": 31.5, "lng": 104.6}
                    ).status_code == 200
    r = api.post("/api/vendors", headers=sysadmin, json={"name": "租" * 100, "lat": 31.5, "lng": 104.6})
    assert r.status_code == 409 and CJK.search(r.json()["error"]["message"])
    w = env.world
    receive = {"warehouse_id": w.warehouse.id, "category_id": w.chair.id, "name": "会议椅", "quantity": 1}
    for value in ("1e20", 1e20, "NaN", "Infinity", 1e13, "1e13"):
        refused(api.post("/api/warehouse/receive", headers=admin, json=receive | {"original_value": value}),
                "original_value")
    case = m.disposal("sale", "approved")["id"]
    refused(api.post(f"/api/disposals/{case}/step", headers=admin,
                     json={"step": "appraise", "value": 1e13, "appraiser": "某评估公司"}), "value")
    refused(api.post(f"/api/disposals/{case}/step", headers=admin,
                     json={"step": "appraise", "value": "NaN", "appraiser": "某评估公司"}), "value")
    # the 2,000-character disposal reject on the page
    case = m.disposal("sale", "applied")["id"]
    page = env.pages["finance"]
    r = page.post(f"/disposals/{case}/reject", data={"reason": "驳" * 2000, "csrf_token": perm._csrf_of(page)})
    assert r.status_code == 422 and "200" in perm._alert(r.text), describe(r)
    r = page.post(f"/disposals/{case}/reject", data={"reason": "驳" * 200, "csrf_token": perm._csrf_of(page)})
    assert r.status_code == 303, describe(r)
    # what the product writes itself is cut to the column: the 500-character reason's event summary
    from market.models import Event

    with session_scope() as db:
        summaries = list(db.exec(select(Event.summary).where(Event.action == "reject")))
    assert summaries and all(len(s) <= fields.limit(Event.summary) for s in summaries)
    assert any(s.endswith("…") for s in summaries)


def test_zz_figures():
    """Prints what was sent (run with -s to see it)."""
    limited = STATS["limited"]
    print(f"\nedge limits: {STATS['requests']} requests to {len(STATS['api_routes'])} API and "
          f"{len(STATS['page_routes'])} page routes; {STATS['fields']} limited fields (entries × fields) on "
          f"{sum(p.startswith('/api/') for _, p in limited)} API and {sum(not p.startswith('/api/') for _, p in limited)}"
          f" page routes; "
          f"{STATS['accepted']} longest/largest values accepted, {STATS['refused']} values past them refused; "
          f"{STATS.get('nan', 0)} raw NaN/Infinity bodies refused; entries without a limited field: "
          f"{sorted(STATS['no_limit'])}")


def test_forms_take_their_maxlength_from_the_declarations():
    """A page's ``maxlength`` is the server's limit, read from the same declaration (no number typed twice)."""
    from pathlib import Path

    from web.templating import maxlen

    found = 0
    for path in (Path(__file__).parent.parent / "web" / "templates").glob("*.html"):
        for value in re.findall(r'maxlength="([^"]*)"', path.read_text(encoding="utf-8")):
            ref = re.fullmatch(r"\{\{ maxlen\('([\w.]+)'\) \}\}", value)
            assert ref, f"{path.name}: maxlength={value!r} is not read from a declaration"
            assert maxlen(ref.group(1)) > 0
            found += 1
    assert found >= 30
