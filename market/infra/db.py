"""Engines, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool
from sqlmodel import Session, create_engine

from market.errors import Busy, Conflict
from market.infra.config import settings
from market.models.orders import OVERLAP_CONSTRAINT

MIGRATIONS = Path(__file__).parent / "migrations"
_engines: dict[str, Engine] = {}


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
    dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below decide, not the driver
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


WRITE_BUSY = "数据库正忙（其他人正在写入大量数据），本次操作未执行，请稍后重试。"


def _sqlite_begin(conn) -> None:  # noqa: ANN001
    # Writers take the write lock up front (BEGIN IMMEDIATE), so two writers queue on
    # busy_timeout instead of failing half-way when a read lock cannot be upgraded.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    try:
        conn.exec_driver_sql(f"BEGIN {mode}")
    except OperationalError as exc:
        # The one place a write transaction waits for SQLite's lock: another writer held it past busy_timeout.
        # Nothing has been done yet, so this is "busy, try again" (503 with Retry-After), never a 500.
        if _locked(exc):
            raise Busy(WRITE_BUSY) from exc
        raise


# Connections per process, and the threads that may hold them at once.
#
# Each request to a synchronous endpoint runs in anyio's worker-thread pool and holds at most one connection
# (its one session) while it runs; the background catch-up and loan sweep run in that pool too. Import jobs
# run in threads of their own, each holding one connection for the whole import. If more threads than
# connections could ask at once, a request would wait up to POOL_TIMEOUT for a connection and then fail.
# So the thread pool is bounded to the connection pool (``web.app``'s lifespan sets anyio's limiter to
# REQUEST_THREADS), not the pool raised to anyio's default of 40 threads: the connection pool is what the
# PostgreSQL server's max_connections limits (README: workers × 30 under it), and a request that waits for a
# thread waits in the event loop without a timeout. JOB_CONNECTIONS are left over for import jobs, and no
# more jobs than that run at once (``web.jobs`` queues the others). A pool timeout is a 503 "busy" with
# Retry-After (``web.app``), never a 500.
POOL_SIZE = 10  # connections kept open
MAX_OVERFLOW = 20  # opened under load, closed when returned
POOL_TIMEOUT = 30.0  # seconds a checkout waits before sqlalchemy.exc.TimeoutError
JOB_CONNECTIONS = 5
REQUEST_THREADS = POOL_SIZE + MAX_OVERFLOW - JOB_CONNECTIONS
BUSY = "系统繁忙（数据库连接已全部占用），本次操作未执行，请稍后重试。"
BUSY_RETRY_AFTER = 5  # seconds, sent as Retry-After with the 503


def make_engine(url: str, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW,
                pool_timeout: float = POOL_TIMEOUT) -> Engine:
    """A new engine for ``url`` with the app's pool and, on SQLite, its pragmas and BEGIN modes."""
    pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            pool["poolclass"] = QueuePool  # SQLAlchemy's default for a file, sized as PostgreSQL's
        else:
            pool = {}  # an in-memory database keeps its one connection (SingletonThreadPool)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def get_engine(url: str | None = None) -> Engine:
    url = url or settings().database_url
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = make_engine(url)
    return engine


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def write_engine(engine: Engine) -> Engine:
    return engine.execution_options(sqlite_begin="IMMEDIATE")


@contextmanager
def session_scope(url: str | None = None, write: bool = False) -> Iterator[Session]:
    """A session; ``write`` takes SQLite's write lock at BEGIN. The caller (or a service) commits."""
    engine = get_engine(url)
    with Session(write_engine(engine) if write else engine, expire_on_commit=False) as db:
        try:
            yield db
        except BaseException:
            db.rollback()
            raise


P = ParamSpec("P")
R = TypeVar("R")

BOOKED_TWICE = "该资产在这段期间已被其他单据占用（同一件资产不能在同一时间出借或调剂两次），本次操作未保存，请刷新后重新调配。"
CONTENDED = "其他人正在同时修改相同的数据，本次操作未保存，请稍后重试。"
# PostgreSQL: deadlock_detected, serialization_failure, lock_not_available
CONTENTION_STATES = {"40P01", "40001", "55P03"}


def as_conflict(exc: DBAPIError) -> Conflict | None:
    """The typed conflict a database refusal stands for, when it is one a user can cause by acting at the same
    time as someone else: the exclusion constraint against booking an item twice, a deadlock or serialisation
    failure on PostgreSQL, SQLite's write lock not granted in time. None for anything else (a bug: a 500)."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    if isinstance(exc, IntegrityError) and getattr(diag, "constraint_name", None) == OVERLAP_CONSTRAINT:
        return Conflict(BOOKED_TWICE, "quantity")
    if getattr(orig, "sqlstate", None) in CONTENTION_STATES:
        return Conflict(CONTENDED)
    if _locked(exc):
        return Conflict(CONTENDED)
    return None


def _locked(exc: DBAPIError) -> bool:
    """SQLite's lock not granted within busy_timeout."""
    orig = exc.orig
    return getattr(orig, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED") or "database is locked" in str(orig)


def transactional(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a service as one transaction: commit at the end, roll back everything on any error.

    A service called from inside another joins the outer transaction. A refusal of the database that a user
    causes by acting at the same moment as another (``as_conflict``) becomes the typed ``Conflict``.
    """

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        db: Session = args[0]  # type: ignore[assignment]
        if db.info.get("in_service"):
            return fn(*args, **kwargs)
        db.info["in_service"] = True
        try:
            result = fn(*args, **kwargs)
            db.commit()
            return result
        except DBAPIError as exc:
            db.rollback()
            conflict = as_conflict(exc)
            if conflict is None:
                raise
            raise conflict from exc
        except BaseException:
            db.rollback()
            raise
        finally:
            db.info["in_service"] = False

    return wrapper


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or settings().database_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (an empty database gets the whole schema)."""
    cfg = alembic_config(url)
    with get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def is_empty(url: str | None = None) -> bool:
    return not inspect(get_engine(url)).has_table("unit")
