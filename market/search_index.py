"""The pool's search index kept true to the ledger.

Every change to a listing or its items writes a ``SearchOutbox`` row in the same transaction. Each process
that serves search holds a cursor (the last outbox id it applied) and catches up before it answers and
twice a second in the background, so a change shows within a second.

- embedded (default): each process keeps the index in memory, built from the database when the process
  starts (``rebuild``), then kept by the outbox. Any number of app workers can run side by side; the
  database stays the only truth.
- Meilisearch (``MEILI_URL``): one index shared by every worker; updates are idempotent upserts, so
  several workers catching up at once do no harm. ``gongwucang reindex`` rebuilds it from scratch.

Outbox rows are pruned a day after they were written; a process that was down longer rebuilds at start.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import bindparam, delete, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

import search
from search import SearchBackend

from .config import settings
from .models import SearchOutbox, utcnow
from .search_docs import all_documents, documents_for

SYNONYM_FILE = "synonyms.txt"  # in the data directory: administrators' own groups, one per line


def synonym_groups() -> list[list[str]]:
    groups = search.default_synonyms()
    path = settings().data_dir / SYNONYM_FILE
    if path.exists():
        groups += search.load_synonyms(path)
    return groups


_OUTBOX = SearchOutbox.__table__
# Built once, executed through Core: this runs before every search, and the ORM's per-statement work cost
# more than the query itself.
_OUTBOX_SINCE = (sa_select(_OUTBOX.c.id, _OUTBOX.c.listing_id).where(_OUTBOX.c.id > bindparam("cursor"))
                 .order_by(_OUTBOX.c.id).limit(bindparam("batch")))


class PoolIndex:
    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend
        self.cursor = 0
        self.lock = threading.Lock()

    def rebuild(self, db: Session) -> int:
        """Index every listing and offer anew; returns the number of documents."""
        with self.lock:
            top = db.exec(select(func.max(SearchOutbox.id))).one() or 0  # changes after this are caught up later
            self.backend.clear()
            self.backend.set_synonyms(synonym_groups())
            n = 0
            for batch in all_documents(db):
                if batch:
                    self.backend.index(batch)
                    n += len(batch)
            self.cursor = top
            return n

    def catch_up(self, db: Session, batch: int = 2000) -> int:
        """Apply outbox rows written since the cursor; returns how many listings were refreshed.

        Runs before every search, so the usual case — nothing new — is one indexed query and no lock: the
        lock is taken only to apply rows, and rows read from a cursor another thread has moved past meanwhile
        are read again from the new cursor. (Holding the lock across the query queued every search of the
        process behind one database round trip, each waiter holding a pooled connection.)
        """
        done = 0
        while True:
            cursor = self.cursor
            rows = db.connection().execute(_OUTBOX_SINCE, {"cursor": cursor, "batch": batch}).all()
            if not rows:
                return done
            with self.lock:
                if self.cursor != cursor:  # applied (or rebuilt) by another thread since we read
                    continue
                ids = sorted({lid for _, lid in rows})
                docs, gone = documents_for(db, ids)
                if docs:
                    self.backend.index(docs)
                if gone:
                    self.backend.delete(gone)
                self.cursor = rows[-1][0]
                done += len(ids)

    def reload_synonyms(self) -> None:
        with self.lock:
            self.backend.set_synonyms(synonym_groups())


def prune_outbox(db: Session, older_than: timedelta = timedelta(days=1)) -> int:
    result = db.exec(delete(SearchOutbox).where(SearchOutbox.created_at < utcnow() - older_than))
    db.commit()
    return result.rowcount or 0


def open_pool_backend() -> SearchBackend:
    cfg = settings()
    if cfg.meili_url:
        return search.open_backend("meilisearch", url=cfg.meili_url, api_key=cfg.meili_master_key)
    return search.open_backend("embedded", None)


_index: PoolIndex | None = None
_index_lock = threading.Lock()


def pool_index(db: Session) -> PoolIndex:
    """This process's index, built on first use and caught up with the outbox."""
    global _index
    index = _index
    if index is None:
        with _index_lock:
            if _index is None:
                idx = PoolIndex(open_pool_backend())
                if settings().meili_url and idx.backend.count() > 0:
                    idx.cursor = db.exec(select(func.max(SearchOutbox.id))).one() or 0
                else:
                    idx.rebuild(db)
                _index = idx
            index = _index
    index.catch_up(db)
    return index


def reset_pool_index() -> None:
    """Forget this process's index (tests, and after ``restore``)."""
    global _index
    with _index_lock:
        _index = None


def synonyms_path() -> Path:
    return settings().data_dir / SYNONYM_FILE


def reload_synonyms(db: Session) -> None:
    """Apply edited synonyms in this process at once (other processes pick them up when they rebuild)."""
    pool_index(db).reload_synonyms()
