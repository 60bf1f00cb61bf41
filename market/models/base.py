"""Column types shared by every table: UTC timestamps and money."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, TypeDecorator

MONEY = Numeric(14, 2, asdecimal=True)
RATE = Numeric(12, 4, asdecimal=True)  # 元 per unit-km


_clock: ContextVar[datetime | None] = ContextVar("clock", default=None)


def utcnow() -> datetime:
    """Now in UTC, or the time a ``frozen_clock`` says (the demo replays a year of events at their dates)."""
    return _clock.get() or datetime.now(UTC)


@contextmanager
def frozen_clock(at: datetime) -> Iterator[None]:
    token = _clock.set(at.astimezone(UTC))
    try:
        yield
    finally:
        _clock.reset(token)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python, whatever the database keeps (SQLite keeps naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # noqa: ANN001
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def money(value: Decimal | float | int | str) -> Decimal:
    """A money amount in 元, to the 分."""
    return Decimal(str(value)).quantize(Decimal("0.01"))
