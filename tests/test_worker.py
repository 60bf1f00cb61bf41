"""The bounded worker process (``market.infra.worker``) and the bounded workbook reader (``market.infra.workbook_reader``),
without a server: what the hostile-file test relies on, each limit on its own."""

from __future__ import annotations

import io
import zipfile

import pytest

from market.errors import InvalidInput
from market.imports import ImportRejected, parse_rows
from market.infra import workbook_reader as sheets
from market.infra import worker


def test_memory_past_the_limit_is_a_clear_refusal_not_a_bigger_server():
    with pytest.raises(InvalidInput, match="内存上限"):
        worker.run(bytearray, 2 * worker.MEMORY_LIMIT)  # two gigabytes, in the child


def test_typed_errors_come_back_whole():
    with pytest.raises(ImportRejected) as caught:
        worker.run(parse_rows, "名称,数量\n椅子,1\n".encode(), "台账.csv")
    assert "缺少必填列" in caught.value.message and caught.value.field == "file"
    assert [e.column for e in caught.value.errors] == ["资产分类代码"]
    parsed = worker.run(parse_rows, "资产名称,资产分类代码\n椅子,A05010201\n".encode(), "台账.csv")
    assert [(d.row, d.name, d.category_code) for d in parsed.rows] == [(2, "椅子", "A05010201")]


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_declared_size_past_the_budget_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(sheets, "MAX_UNPACKED", 1000)
    with pytest.raises(sheets.SheetTooLarge, match="解压后超过"):
        list(sheets.read_workbook(_zip({"a.xml": b"x" * 2000})))


def test_decompressed_bytes_are_counted_as_they_are_read(monkeypatch):
    data = _zip({"[Content_Types].xml": b"<Types/>" + b" " * 3000})
    archive = sheets._archive(data)
    archive.budget = sheets._Budget(1000)  # as if the directory had declared less than the member holds
    with pytest.raises(sheets.SheetTooLarge):
        archive.read("[Content_Types].xml")
