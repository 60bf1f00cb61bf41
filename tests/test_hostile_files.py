"""Hostile spreadsheets and scan files against a real server process (issue 14, findings 2 and 3).

Each file is uploaded through the import page (or the count's scan form) of ``gongwucang serve`` while
another user keeps writing through the API. The server's resident memory is sampled every 20 ms; the table
printed (run with ``-s``) gives each file's size, what the server answered, how long it took and the memory
before, at its peak and after. Every bomb is refused with a Chinese message, the server's memory stays within
100 MB of where it was, nothing is written, and the other user's writes all succeed (or are told the database
is busy: 503) — never a 500.

The bombs: a shared-strings table that decompresses to 240 MB (every cell a 30,000-character string), one cell
of 300 MB, 14 million empty rows, 1,048,576 rows present, a 1 MB cell, a member that lies about its size, and
a scanner file of 200,000 tags (a legitimate size: recorded, set-wise).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx
from factories import PASSWORD
from served import Served
from sqlalchemy import text

from market.infra.db import session_scope

MB = 1024 * 1024
HEADER = '<row r="1"><c r="A1" t="inlineStr"><is><t>资产名称</t></is></c><c r="B1" t="inlineStr"><is><t>资产分类代码</t></is></c></row>'

CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
WORKBOOK = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
</Relationships>"""
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def xlsx(rows: Iterable[str], strings: Iterable[str] = ()) -> bytes:
    """A workbook written part by part (the test never holds a bomb's XML whole)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        _stream(z, "xl/sharedStrings.xml", f"<sst {NS}>", (f"<si><t>{s}</t></si>" for s in strings), "</sst>")
        _stream(z, "xl/worksheets/sheet1.xml", f"<worksheet {NS}><sheetData>", rows, "</sheetData></worksheet>")
    return buf.getvalue()


def _stream(z: zipfile.ZipFile, name: str, head: str, parts: Iterable[str], tail: str) -> None:
    with z.open(name, "w", force_zip64=True) as f:
        f.write(head.encode())
        batch: list[str] = []
        for part in parts:
            batch.append(part)
            if len(batch) >= 10_000:
                f.write("".join(batch).encode())
                batch.clear()
        f.write("".join(batch).encode() + tail.encode())


def shared_strings_bomb() -> bytes:
    """240 MB of shared strings (8,000 of 30,000 characters), each used by 12 of 96,000 rows."""
    rows = (f'<row r="{i}"><c r="A{i}" t="s"><v>{i % 8000}</v></c><c r="B{i}" t="s"><v>{(i + 1) % 8000}</v></c></row>'
            for i in range(2, 96_002))
    return xlsx([HEADER, *rows], ("x" * 29_995 + f"{n:05d}" for n in range(8000)))


def huge_cell() -> bytes:
    """One inline cell of 300 MB."""
    def rows() -> Iterable[str]:
        yield HEADER
        yield '<row r="2"><c r="A2" t="inlineStr"><is><t>'
        for _ in range(300):
            yield "y" * MB
        yield "</t></is></c></row>"
    return xlsx(rows())


def long_cell() -> bytes:
    """One shared string of 1 MB: within the archive's budget, past Excel's 32,767 characters."""
    return xlsx([HEADER, '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'], ["z" * MB])


def empty_rows(n: int, numbered: bool = True) -> bytes:
    """``n`` empty rows after the header: ``<row r="2"/>``…, or ``<row/>`` (numbered by their place), which
    compresses to almost nothing."""
    if not numbered:
        return xlsx([HEADER, *itertools.repeat("<row/>", n)])
    return xlsx([HEADER, *(f'<row r="{i}"/>' for i in range(2, n + 2))])


def lying_member() -> bytes:
    """A sheet of 56 MB whose zip directory says 1 KB: the zip reader stops at the size declared, so what openpyxl
    reads is a cut-off document."""
    honest = xlsx([HEADER, *(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{"w" * 500}</t></is></c></row>'
                             for i in range(2, 100_002))])
    out = bytearray(honest)
    name = b"xl/worksheets/sheet1.xml"
    at = honest.find(b"PK\x01\x02")
    while honest[at + 46 : at + 46 + len(name)] != name:
        at = honest.find(b"PK\x01\x02", at + 4)
        assert at != -1
    out[at + 24 : at + 28] = (1024).to_bytes(4, "little")  # the central directory's uncompressed size
    return bytes(out)


def scan_file(n: int) -> bytes:
    return "".join(f"X{i:07d}\n" for i in range(n)).encode()


class Sampler:
    """The server's resident memory every 20 ms while a case runs."""

    def __init__(self, server: Served) -> None:
        self.server, self.peak, self._stop = server, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss_mb())
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self.peak = self.server.rss_mb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def page_login(server: Served, username: str) -> tuple[httpx.Client, str]:
    c = server.client(follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
    r = c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert r.status_code == 303, r.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/imports/new").text).group(1)
    return c, token


def import_file(c: httpx.Client, csrf: str, data_dir: Path, unit_id: int, name: str, data: bytes) -> dict:
    r = c.post("/imports", data={"unit": str(unit_id), "csrf_token": csrf}, files={"file": (name, data)})
    assert r.status_code == 303, r.text[:500]
    job = r.headers["location"].rsplit("/", 1)[1]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            state = json.loads((data_dir / "jobs" / f"{job}.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            state = {"status": "queued"}
        if state["status"] not in ("queued", "running"):
            return state
        time.sleep(0.05)
    raise AssertionError("the import did not end within 300 s")


class OtherUser:
    """Another user writing through the API the whole time: every answer's status and time."""

    def __init__(self, server: Served) -> None:
        self.token = server.token("staff_health", PASSWORD)
        self.server, self.answers, self._stop = server, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with self.server.client(headers={"Authorization": f"Bearer {self.token}"}) as c:
            n = 0
            while not self._stop.is_set():
                started = time.perf_counter()
                r = c.post("/api/wishes", json={"title": f"其他用户的心愿 {n}", "keywords": "会议椅"})
                self.answers.append((r.status_code, time.perf_counter() - started, r.text[:200]))
                n += 1
                time.sleep(0.05)

    def stop(self) -> list[tuple[int, float, str]]:
        self._stop.set()
        self._thread.join()
        return self.answers


def _assets(url: str) -> int:
    with session_scope(url) as db:
        return db.exec(text("SELECT count(*) FROM asset")).one()[0]


BOMBS: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("shared strings, 240 MB unpacked", "台账.xlsx", shared_strings_bomb, "未导入任何数据"),
    ("one cell of 300 MB", "台账.xlsx", huge_cell, "解压后超过"),
    ("14,000,000 empty rows", "台账.xlsx", lambda: empty_rows(14_000_000, numbered=False), "行（含空行）"),
    ("1,048,576 rows present", "台账.xlsx", lambda: empty_rows(1_048_575), "行（含空行）"),
    ("a 1 MB cell", "台账.xlsx", long_cell, "32767 个字符"),
    ("a member lying about its size", "台账.xlsx", lying_member, "文件已损坏"),
]


def test_hostile_files_leave_the_server_as_it_was(served):
    server, w, data_dir, url = served
    mgr, mgr_csrf = page_login(server, "mgr_edu")
    admin, admin_csrf = page_login(server, "admin")
    # warm-up: a good import and a small scan, so that the baseline has every code path loaded
    good = xlsx([HEADER, *(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>会议椅</t></is></c>'
                           f'<c r="B{i}" t="inlineStr"><is><t>A05010201</t></is></c></row>' for i in range(2, 202))])
    state = import_file(mgr, mgr_csrf, data_dir, w.edu.id, "台账.xlsx", good)
    assert state["status"] == "done" and state["result"]["ok"] and state["result"]["created"] == 200, state
    count_id = httpx.post(f"{server.base}/api/counts", json={"warehouse_id": w.warehouse.id},
                          headers={"Authorization": f"Bearer {server.token('admin', PASSWORD)}"}).json()["id"]
    r = admin.post(f"/counts/{count_id}/scan", data={"csrf_token": admin_csrf}, files={"file": ("s.csv", scan_file(10))})
    assert r.status_code == 200 and "读取 10 条" in r.text
    assets_before = _assets(url)
    baseline = server.rss_mb()
    other = OtherUser(server)
    rows = []
    try:
        for label, name, make, expected in BOMBS:
            body = make()
            with Sampler(server) as s:
                started = time.perf_counter()
                state = import_file(mgr, mgr_csrf, data_dir, w.edu.id, name, body)
                seconds = time.perf_counter() - started
            message = (state.get("result") or {}).get("message", "")
            rows.append((label, len(body), message, seconds, s.peak, server.rss_mb()))
            assert state["status"] in ("done", "failed") and not (state["result"] or {}).get("ok"), state
            assert expected in message, (label, message)
        for n, expected in ((200_000, "一次最多导入 100000 条"), (60_000, "不在账上的标签")):
            with Sampler(server) as s:
                started = time.perf_counter()
                tags = scan_file(n)
                r = admin.post(f"/counts/{count_id}/scan", data={"csrf_token": admin_csrf},
                               files={"file": ("scan.csv", tags)})
                seconds = time.perf_counter() - started
            message = re.search(r'class="alert" role="alert">([^<]+)<', r.text)
            rows.append((f"scanner file, {n:,} unknown tags", len(tags), message.group(1) if message else "",
                         seconds, s.peak, server.rss_mb()))
            assert r.status_code == 422 and expected in r.text, r.text[:300]
        with session_scope(url) as db:  # nothing recorded: the ten reads of the warm-up only
            assert db.exec(text(f"SELECT count(*) FROM countline WHERE count_id = {count_id}")).one()[0] == 10
    finally:
        answers = other.stop()
    print(f"\nserver RSS at the start {baseline:.1f} MB")
    print(f"{'file':34} {'size':>10} {'s':>6} {'peak MB':>8} {'after MB':>8}  answer")
    for label, size, message, seconds, peak, after in rows:
        print(f"{label:34} {size / 1024:8.0f}KB {seconds:6.1f} {peak:8.1f} {after:8.1f}  {message[:60]}")
    statuses = {}
    for status, _, _ in answers:
        statuses[status] = statuses.get(status, 0) + 1
    slowest = max(t for _, t, _ in answers)
    print(f"other user's writes meanwhile: {statuses}, slowest {slowest * 1000:.0f} ms")
    assert _assets(url) == assets_before  # nothing of any bomb was written
    assert set(statuses) <= {200, 503}, [a for a in answers if a[0] not in (200, 503)][:3]
    for label, _, _, _, peak, _ in rows:
        assert peak - baseline < 100, f"{label}: server RSS {baseline:.1f} → {peak:.1f} MB"
