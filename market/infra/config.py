"""Settings read from the environment, once per process (call ``settings()``)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    meili_url: str | None
    meili_master_key: str | None
    sale_floor_share: float  # a disposal sale below this share of the appraisal is refused
    sale_review_share: float  # a disposal sale below this share of the book value waits for finance's approval
    https_only: bool  # session cookies marked Secure (behind an HTTPS reverse proxy)
    public_url: str | None = None  # the address users reach the app at: what a label's QR code links to

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _secret_key(data_dir: Path) -> str:
    """The signing key: GONGWUCANG_SECRET, else one generated once and kept in the data directory."""
    env = os.environ.get("GONGWUCANG_SECRET")
    if env:
        return env
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings() -> Settings:
    data_dir = Path(os.environ.get("GONGWUCANG_DATA", "./data")).resolve()
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{data_dir / 'gongwucang.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key=_secret_key(data_dir),
        meili_url=os.environ.get("MEILI_URL") or None,
        meili_master_key=os.environ.get("MEILI_MASTER_KEY") or None,
        sale_floor_share=float(os.environ.get("GONGWUCANG_SALE_FLOOR", "0.9")),
        sale_review_share=float(os.environ.get("GONGWUCANG_SALE_REVIEW", "0.5")),
        https_only=os.environ.get("GONGWUCANG_HTTPS", "").lower() in ("1", "true", "yes"),
        public_url=(os.environ.get("GONGWUCANG_PUBLIC_URL") or "").rstrip("/") or None,
    )


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()
