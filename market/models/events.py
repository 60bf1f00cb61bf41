"""The append-only event log and the search outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from market.models.base import UTCDateTime, utcnow


class Event(SQLModel, table=True):
    """One state change of one asset or document: who, when, what, before → after."""

    __table_args__ = (Index("ix_event_entity", "entity", "entity_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    entity: str = Field(max_length=16)  # asset, listing, request, order, proposal, disposal, user, unit, …
    entity_id: int
    action: str = Field(max_length=32)
    summary: str = Field(max_length=300, default="")  # a Chinese sentence for the timeline
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    ref_entity: str | None = Field(default=None, max_length=16)  # the document that caused it
    ref_id: int | None = None


class SearchOutbox(SQLModel, table=True):
    """Search documents to rewrite, written in the same transaction as the change: one listing's
    (``listing_id``), or every document that reads a changed row (``source`` and ``source_id``: a category, a
    unit, a warehouse, a rental vendor or offer; ``market.pool.documents.SOURCES``)."""

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int | None = Field(default=None, index=True)
    source: str | None = Field(default=None, max_length=16)
    source_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
