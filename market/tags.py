"""Lifelong asset tags: the 资产编号 printed as a QR code and the EPC written to the RFID chip."""

from __future__ import annotations

import hashlib


def epc_for(tag: str) -> str:
    """A 96-bit EPC (24 hex digits) derived from the tag, so a reader's EPC maps back to one asset."""
    return hashlib.sha256(tag.encode("utf-8")).hexdigest()[:24].upper()


def tag_for(unit_code: str, year: int, seq: int) -> str:
    return f"{unit_code}-{year}-{seq:06d}"
