"""The pool's search index kept true to the ledger.

Every change to a listing or its items writes a ``SearchOutbox`` row in the same transaction, and so does a
change of a row documents read besides (a category's name, a unit's or warehouse's place, a rental vendor or
offer: ``documents.SOURCES``), naming that row. Each process
that serves search holds a cursor (the last outbox id it applied) and catches up twice a second in the
background and before a search, so a change shows within a second:

- a change this process committed is applied before this process's next search (the commit is noted in
  memory, so the search knows to catch up first): what a user just changed, the next search finds;
- otherwise a search looks at the outbox at most once per ``PROBE_SECONDS`` per process and answers from
  memory in between: a change committed by another process (another worker, the command line) shows within
  ``PROBE_SECONDS`` plus one catch-up when searches come in, and within ``SYNC_SECONDS`` of the app's timer
  in any case.

The index also holds the category names that label its facets (``names``), read again at a catch-up once they
are ``NAMES_SECONDS`` old, and before the next search when this process committed a change of a category:
a renamed category shows at once in this process and within ``NAMES_SECONDS`` in the others.

On PostgreSQL outbox ids are taken at insert and transactions commit in any order, so a lower id can become
visible after a higher one was applied. Ids skipped over are kept as gaps and read again at each catch-up
until they appear, or until every transaction that was running when the gap was seen has ended (then the id
was rolled back and never will). SQLite has one writer at a time: ids become visible in id order there.

- embedded (default): each process keeps the index in memory, built from the database when the process
  starts (``rebuild``), then kept by the outbox. Any number of app workers can run side by side; the
  database stays the only truth.
- Meilisearch (``MEILI_URL``): one index shared by every worker; updates are idempotent upserts, so
  several workers catching up at once do no harm. ``gongwucang reindex`` rebuilds it from scratch.

Outbox rows are pruned a day after they were written (the newest is always kept: SQLite would hand out
its id again); a process that was down longer rebuilds at start.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

from sqlalchemy import bindparam, delete, event, func, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

import search
from market.access import require
from market.errors import InvalidInput
from market.infra.config import settings
from market.infra.db import transactional
from market.infra.eventlog import log_event
from market.models import Category, SearchOutbox, User, utcnow
from market.pool.documents import SOURCES, affected, all_documents, documents_for, offer_changes
from search import SearchBackend

SYNONYM_FILE = "synonyms.txt"  # in the data directory: administrators' own groups, one per line
PROBE_SECONDS = 0.25  # a search looks at the outbox at most this often per process (changes of others)
SYNONYMS = "synonyms"  # an outbox row's source: the synonym file changed
NAMES_SECONDS = 5.0  # category names are read again at a catch-up once this old (renamed by another process)


def synonym_groups() -> list[list[str]]:
    groups = search.default_synonyms()
    path = settings().data_dir / SYNONYM_FILE
    if path.exists():
        groups += search.load_synonyms(path)
    return groups


_OUTBOX = SearchOutbox.__table__
# Built once, executed through Core: this runs before searches, and the ORM's per-statement work cost
# more than the query itself.
_ROW = (_OUTBOX.c.id, _OUTBOX.c.listing_id, _OUTBOX.c.source, _OUTBOX.c.source_id)
_OUTBOX_SINCE = (sa_select(*_ROW).where(_OUTBOX.c.id > bindparam("cursor"))
                 .order_by(_OUTBOX.c.id).limit(bindparam("batch")))
_OUTBOX_IDS = sa_select(*_ROW).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
_OUTBOX_INSERT = _OUTBOX.insert()
_OUTBOX_ALL_IDS = sa_select(_OUTBOX.c.id).order_by(_OUTBOX.c.id)
_CATEGORY = Category.__table__
_CATEGORY_NAMES = sa_select(_CATEGORY.c.code, _CATEGORY.c.name)  # two columns, not ORM objects
# the oldest transaction still running, and the first transaction id not yet handed out
_PG_SNAPSHOT = text("SELECT pg_snapshot_xmin(s)::text, pg_snapshot_xmax(s)::text FROM pg_current_snapshot() s")


# --- changes this process committed --------------------------------------------------------------------
# A session that flushed outbox rows bumps ``_written`` once it has committed; a search that sees it ahead
# of what its index applied catches up first.

_written = 0
_catalogue_written = 0  # the same for changes of categories (their names label the facets)
_written_lock = threading.Lock()


@event.listens_for(Session, "after_begin")
def _written_at_begin(session: Session, _transaction: object, _connection: object) -> None:
    # What a catch-up in this transaction may count as applied: on SQLite a transaction reads one snapshot,
    # taken at its first read, which holds every commit counted in ``_written`` by now (and maybe more).
    session.info["written_at_begin"] = _written
    session.info["catalogue_at_begin"] = _catalogue_written


@event.listens_for(Session, "after_flush")
def _saw_category_change(session: Session, _context: object) -> None:
    if not session.info.get("categories_changed") and any(
            isinstance(o, Category) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info["categories_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _saw_category_statement(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and getattr(
            state.statement, "table", None) is not None and state.statement.table.name == _CATEGORY.name:
        state.session.info["categories_changed"] = True


@event.listens_for(Session, "after_flush")
def _queue_readers(session: Session, _context: object) -> None:
    """A flush that changed a column some search documents read (``documents.SOURCES``: a category's name, a
    unit's place, a vendor, an offer …) queues those documents, in the same transaction."""
    changed: set[tuple[str, int]] = set()
    for objects, edited in ((session.new, False), (session.deleted, False), (session.dirty, True)):
        for obj in objects:
            watched = SOURCES.get(type(obj))
            if watched is None or obj.id is None:
                continue
            source, columns = watched
            if edited and not any(sa_inspect(obj).attrs[c].history.has_changes() for c in columns):
                continue
            changed.add((source, obj.id))
    _queue(session, sorted(changed))


_SOURCE_TABLES = {model.__table__.name: (model.__table__, source) for model, (source, _) in SOURCES.items()}


@event.listens_for(Session, "do_orm_execute")
def _queue_readers_of_statement(state: ORMExecuteState) -> None:
    """An UPDATE or DELETE statement run through a session on one of those tables (not row by row through the
    ORM, which ``_queue_readers`` sees) queues every row its WHERE selects, read before it runs."""
    if not (state.is_update or state.is_delete):
        return
    found = _SOURCE_TABLES.get(getattr(getattr(state.statement, "table", None), "name", None))
    if found is None:
        return
    table, source = found
    which = sa_select(table.c.id)
    if state.statement.whereclause is not None:
        which = which.where(state.statement.whereclause)
    _queue(state.session, [(source, i) for i in state.session.connection().execute(which).scalars()])


def _queue(session: Session, changed: list[tuple[str, int]]) -> None:
    if changed:
        now = utcnow()
        session.connection().execute(_OUTBOX_INSERT, [{"source": source, "source_id": i, "created_at": now}
                                                      for source, i in changed])
        session.info["search_outbox"] = True


@event.listens_for(Session, "after_flush")
def _saw_outbox_rows(session: Session, _context: object) -> None:
    if not session.info.get("search_outbox") and any(isinstance(o, SearchOutbox) for o in session.new):
        session.info["search_outbox"] = True


@event.listens_for(Session, "after_commit")
def _outbox_committed(session: Session) -> None:
    global _written, _catalogue_written
    if session.info.pop("search_outbox", False):
        with _written_lock:
            _written += 1
    if session.info.pop("categories_changed", False):
        with _written_lock:
            _catalogue_written += 1


@event.listens_for(Session, "after_rollback")
def _outbox_rolled_back(session: Session) -> None:
    session.info.pop("search_outbox", None)
    session.info.pop("categories_changed", None)


def _pg_snapshot(conn: Connection) -> tuple[int, int] | None:
    """(xmin, xmax) of a snapshot taken now, on PostgreSQL; None elsewhere."""
    if conn.dialect.name != "postgresql":
        return None
    xmin, xmax = conn.execute(_PG_SNAPSHOT).one()
    return int(xmin), int(xmax)


class PoolIndex:
    def __init__(self, backend: SearchBackend) -> None:
        self.backend = backend
        self.cursor = 0
        # outbox ids below the cursor not seen yet (PostgreSQL): id -> xmax of a snapshot taken after it was
        # missed; once every transaction older than that has ended, one more read settles it
        self.gaps: dict[int, int] = {}
        self.version = 0  # bumped whenever cursor or gaps change (under ``lock``)
        self.applied = 0  # ``_written`` as of the last complete catch-up
        self.next_probe = 0.0  # time.monotonic() after which a search looks at the outbox again
        self.lock = threading.Lock()
        self.names: dict[str, str] = {}  # category code → name: the facets' labels (replaced whole, never edited)
        self.names_applied = -1  # ``_catalogue_written`` as of the last read of ``names`` (-1: never read)
        self.names_read_at = 0.0  # time.monotonic() of that read

    def refresh_names(self, db: Session) -> None:
        """Read the category names again if this process changed a category since, or they are
        ``NAMES_SECONDS`` old."""
        if self.names_applied >= _catalogue_written and time.monotonic() - self.names_read_at < NAMES_SECONDS:
            return
        seen, started = db.info.get("catalogue_at_begin", 0), time.monotonic()
        self.names = dict(db.connection().execute(_CATEGORY_NAMES).all())
        self.names_applied, self.names_read_at = max(self.names_applied, seen), started

    def _start_from(self, conn: Connection) -> None:
        """Cursor at the newest visible outbox row; on PostgreSQL the ids missing below it are gaps (an open
        transaction may still commit one)."""
        snap = _pg_snapshot(conn)
        if snap is None:
            self.cursor = conn.execute(sa_select(func.max(_OUTBOX.c.id))).scalar() or 0
            self.gaps = {}
        else:
            ids = conn.execute(_OUTBOX_ALL_IDS).scalars().all()
            self.cursor = ids[-1] if ids else 0
            self.gaps = dict.fromkeys(_missing(ids[0] - 1, ids), snap[1]) if ids else {}
        self.version += 1

    def start_at_outbox_end(self, db: Session) -> None:
        """Take the outbox as applied up to now (an index that already holds the documents: Meilisearch)."""
        with self.lock:
            conn = db.connection()
            self.applied = db.info.get("written_at_begin", 0)
            self._start_from(conn)

    def rebuild(self, db: Session) -> int:
        """Index every listing and offer anew; returns the number of documents."""
        with self.lock:
            conn = db.connection()
            self.applied = db.info.get("written_at_begin", 0)
            self._start_from(conn)  # changes after this are caught up later
            self.backend.clear()
            self.backend.set_synonyms(synonym_groups())
            n = 0
            for batch in all_documents(db):
                if batch:
                    self.backend.index(batch)
                    n += len(batch)
            return n

    def catch_up(self, db: Session, batch: int = 2000) -> int:
        """Apply outbox rows written since the cursor, and gaps that have appeared; returns how many listings
        were refreshed.

        The usual case — nothing new, no gaps — is one indexed query and no lock: the lock is taken only to
        apply rows, and rows read from a state another thread has changed meanwhile are read again. (Holding
        the lock across the query queued every search of the process behind one database round trip, each
        waiter holding a pooled connection.)
        """
        done = 0
        while True:
            started, written = time.monotonic(), db.info.get("written_at_begin", 0)
            version, cursor, gaps = self.version, self.cursor, dict(self.gaps)
            conn = db.connection()
            rows = conn.execute(_OUTBOX_SINCE, {"cursor": cursor, "batch": batch}).all()
            missed = _missing(cursor, [r[0] for r in rows])
            snap = _pg_snapshot(conn) if missed or gaps else None  # taken after the read above
            if snap is None:
                missed = []  # not PostgreSQL: ids become visible in id order, a missing one never will
            found = conn.execute(_OUTBOX_IDS, {"ids": list(gaps)}).all() if gaps else []  # after the snapshot
            found_ids = {r[0] for r in found}
            # every transaction that could have held this id had ended before the read above: rolled back
            settled = [g for g, horizon in gaps.items() if g not in found_ids and snap and snap[0] >= horizon]
            if not rows and not found and not settled:
                if self.version == version:
                    self.applied = max(self.applied, written)
                    self.next_probe = max(self.next_probe, started + PROBE_SECONDS)
                return done
            with self.lock:
                if self.version != version:  # applied (or rebuilt) by another thread since we read
                    continue
                if any(r[2] == SYNONYMS for r in (*rows, *found)):  # edited in some process: the file is shared
                    self.backend.set_synonyms(synonym_groups())
                ids, offers = _documents_of(db, [*rows, *found])
                # one outbox row can stand for every listing of a category, a unit or a warehouse: in batches
                # (a query's IN list, and the index's upserts, stay bounded)
                for part in range(0, max(len(ids), len(offers)), batch):
                    for docs, gone in (documents_for(db, ids[part:part + batch]),
                                       offer_changes(db, offers[part:part + batch])):
                        if docs:
                            self.backend.index(docs)
                        if gone:
                            self.backend.delete(gone)
                for g in [*found_ids, *settled]:
                    self.gaps.pop(g, None)
                for g in missed:
                    self.gaps[g] = snap[1]
                if rows:
                    self.cursor = rows[-1][0]
                self.version += 1
                done += len(ids) + len(offers)


def _documents_of(db: Session, rows: list) -> tuple[list[int], list[int]]:
    """(listing ids, offer ids) that outbox ``rows`` (id, listing_id, source, source_id) ask to rewrite."""
    listings = {r[1] for r in rows if r[1] is not None}
    sources: dict[str, set[int]] = defaultdict(set)
    for _, _, source, source_id in rows:
        if source is not None:
            sources[source].add(source_id)
    offers: list[int] = []
    if sources:
        more, offers = affected(db, sources)
        listings.update(more)
    return sorted(listings), offers


def _missing(after: int, ids: list[int]) -> list[int]:
    """The ids between ``after`` and the last of ``ids`` (ascending) that are not among them."""
    if not ids or ids[-1] - after == len(ids):
        return []
    have = set(ids)
    return [i for i in range(after + 1, ids[-1]) if i not in have]


def prune_outbox(db: Session, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget outbox rows older than a day, except the newest: SQLite gives a row of an emptied table the id 1
    again, and every process's cursor would then pass over the new rows."""
    newest = sa_select(func.max(_OUTBOX.c.id)).scalar_subquery()
    result = db.exec(delete(SearchOutbox).where(SearchOutbox.created_at < utcnow() - older_than,
                                                SearchOutbox.id < newest))
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
                    idx.start_at_outbox_end(db)
                else:
                    idx.rebuild(db)
                _index = idx
            index = _index
    index.catch_up(db)
    index.refresh_names(db)
    return index


def ready_index() -> PoolIndex | None:
    """This process's index if a search may use it without catching up first: built, and every change this
    process committed applied (category names included). None: call ``pool_index`` (which builds it or catches up)."""
    index = _index
    return (None if index is None or index.applied < _written or index.names_applied < _catalogue_written
            else index)


def probe_due(index: PoolIndex) -> bool:
    """True once per ``PROBE_SECONDS``: the caller looks at the outbox (``pool_index``) — before answering,
    or beside it, answering from the index as it is meanwhile — so changes of other processes show."""
    now = time.monotonic()
    if now < index.next_probe:
        return False
    index.next_probe = now + PROBE_SECONDS  # claimed: a failed catch-up is tried again after that
    return True


def index_for_search(db: Session) -> PoolIndex:
    """The index to answer a search from: as it is when that is recent enough, else caught up now."""
    index = ready_index()
    return pool_index(db) if index is None or probe_due(index) else index


def reset_pool_index() -> None:
    """Forget this process's index (tests, and after ``restore``)."""
    global _index
    with _index_lock:
        _index = None


def synonyms_path() -> Path:
    return settings().data_dir / SYNONYM_FILE


@transactional
def save_synonyms(db: Session, actor: User, text: str) -> int:
    """Replace the administrators' synonym file (one group per line; ``a b => c`` one-way); checked first."""
    import search
    from market.pool.index import synonyms_path

    require(actor, "manage_catalogue")
    if len(text) > 100_000:
        raise InvalidInput("同义词表过长（上限 10 万字）。", "synonyms")
    path = synonyms_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text.replace("\r\n", "\n"), encoding="utf-8")
    try:
        groups = search.load_synonyms(tmp)
    except (ValueError, search.SearchError) as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"同义词表有误：{getattr(exc, 'message', None) or exc}", "synonyms") from None
    tmp.replace(path)
    db.add(SearchOutbox(source=SYNONYMS, source_id=0))  # every process applies them at its next catch-up
    log_event(db, actor, "setting", 0, "synonyms", f"修改搜索同义词：{len(groups)} 组")
    return len(groups)
