"""Engine, per-request session, and schema migration through alembic."""

import logging
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, create_engine

import migrations
from governance.settings import Settings

MIGRATIONS_DIR = Path(migrations.__file__).parent
# The data dir holds the database, uploads and outputs not yet released, and keys: only
# the service's own user reads it.
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
# What SQLite keeps beside a database: the WAL, its shared-memory index, a rollback journal.
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")

log = logging.getLogger("governance")


# Connections beside the 40 threads that serve requests (anyio's default): a request
# waiting for one would otherwise fail after the pool's timeout.
POOL_SIZE = 20
POOL_OVERFLOW = 20
# A connection of the read-only engine (`read_only`): it runs no transaction, and refuses
# anything but a read.
READ_ONLY = "govern_read_only"
_READS = ("select", "with", "pragma", "explain", "values")


class WriteOutsideTransaction(RuntimeError):
    """A write through a read-only session: a bug (`begin_write` was not called)."""


def make_engine(url: str, busy_timeout_seconds: float = 10.0) -> Engine:
    """The engine; a statement that waits `busy_timeout_seconds` for a lock gives up
    (SQLite's write lock, PostgreSQL's row and advisory locks), as does a request waiting
    as long for a connection: the caller is answered 503 (`is_busy`)."""
    pool: dict[str, Any] = {
        "pool_size": POOL_SIZE,
        "max_overflow": POOL_OVERFLOW,
        "pool_timeout": busy_timeout_seconds,
    }
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout_seconds}, **pool
        )
        _sqlite_pragmas(engine, busy_timeout_seconds)
    else:
        lock_ms = int(busy_timeout_seconds * 1000)
        engine = create_engine(
            url, pool_pre_ping=True, connect_args={"options": f"-c lock_timeout={lock_ms}"}, **pool
        )
    _refuse_writes_when_read_only(engine)
    return engine


def read_only(engine: Engine) -> Engine:
    """The same database and pool, for reads outside any transaction: each statement sees
    the latest commit (PostgreSQL's READ COMMITTED, statement by statement) and nothing
    is held between statements, so a request that reads while it computes (a search, a
    model run) keeps no lock and no snapshot. Writes are refused."""
    options: dict[str, object] = {READ_ONLY: True}
    if engine.dialect.name != "sqlite":
        options["isolation_level"] = "AUTOCOMMIT"
    return engine.execution_options(**options)


def _refuse_writes_when_read_only(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _check(conn: Connection, _c: object, statement: str, *_: object) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            verb = statement.lstrip().split(None, 1)[0].lower() if statement.strip() else ""
            if verb not in _READS:
                raise WriteOutsideTransaction(
                    f"'{verb}' in a read-only session: call begin_write first"
                )


def _sqlite_pragmas(engine: Engine, busy_timeout_seconds: float) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks BEGIN IMMEDIATE,
    # so it is switched off and every transaction begins IMMEDIATE: it holds the write
    # lock from its first statement, so a read followed by a write (the audit log's
    # next index, then the append) cannot be overtaken by another writer. Reads that are
    # not part of a write go through `read_only`, which begins nothing: under WAL they
    # neither wait for the write lock nor hold it.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_seconds * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if not conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN IMMEDIATE")


# PostgreSQL: lock_not_available (lock_timeout), deadlock_detected, serialization_failure:
# each leaves nothing done and succeeds when tried again.
RETRYABLE_SQLSTATES = frozenset({"55P03", "40P01", "40001"})


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` says the database was busy, not broken: a lock not had in time
    (SQLite "database is locked", PostgreSQL lock_timeout or a deadlock) or no free
    connection."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, OperationalError):
        return False
    original = exc.orig
    if getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    message = str(original).lower()
    return "database is locked" in message or "database table is locked" in message


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the schema to the newest revision; the only way tables are made."""
    command.upgrade(alembic_config(url), "head")


def prepare_storage(settings: Settings) -> None:
    """Make the data dir and its blob folder (0700) and the SQLite database (0600), then
    migrate."""
    settings.data_dir.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    # Made here rather than by the first write, which would give it the default mode.
    settings.blob_dir.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    database = sqlite_file(settings.resolved_database_url)
    if database is not None:
        # SQLite would make the database 0644 (less the umask), and makes its WAL and
        # shared-memory files with the database's mode: made here first, empty (which
        # SQLite reads as an empty database), all three are 0600 from the start.
        database.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    migrate(settings.resolved_database_url)


def make_storage_private(settings: Settings) -> None:
    """Set the modes of what the service keeps: the data dir and its folders 0700, the
    files it makes there and the SQLite database with its side files 0600.

    Run at every start, after the keys are made, so that a deployment made before the
    modes were set is closed on its next start. Only the service's own files are named,
    never whatever else a data dir holds; blobs are written 0600 already and not walked
    (there may be millions).
    """
    for folder in (settings.data_dir, settings.blob_dir, settings.signing_dir):
        _chmod(folder, PRIVATE_DIR)
    kept = [settings.default_audit_key]
    if settings.signing_dir.is_dir():
        kept += settings.signing_dir.iterdir()
    database = sqlite_file(settings.resolved_database_url)
    if database is not None:
        kept += [database, *(Path(f"{database}{suffix}") for suffix in SQLITE_SIDE_FILES)]
    for path in kept:
        if path.is_file():
            _chmod(path, PRIVATE_FILE)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for other databases and in-memory ones."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:"):  # a URI filename: the path without its query
        name = name[len("file:") :].partition("?")[0]
    return Path(name)


def _chmod(path: Path, mode: int) -> None:
    if path.is_symlink():
        return  # a link to a key or database kept elsewhere: its owner set that mode
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
    except FileNotFoundError:
        pass  # SQLite removes its side files when the last connection closes
    except PermissionError:
        # A folder mounted for the service but owned by another user: the service still
        # runs, and the operator is told what is readable by others.
        log.warning("cannot make %s private (mode %o): it is not the service's", path, mode)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session that commits once when the block ends without error (CLI and demo use)."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_WRITE_ENGINE = "governance.write_engine"


@contextmanager
def request_session(engine: Engine) -> Iterator[Session]:
    """A request's session: it reads through `read_only(engine)` until the request calls
    `begin_write`, then writes in one transaction, committed once when the block ends
    without error. A request that only reads never takes a lock."""
    # Not expired on commit: `end_reads` commits a read-only transaction mid-request, and
    # what the request loaded stays usable.
    with Session(read_only(engine), expire_on_commit=False) as session:
        session.info[_WRITE_ENGINE] = engine
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def end_reads(session: Session) -> None:
    """Give back a read-only session's connection before long work (a model run): its
    next read takes one again. A no-op once the session writes, or outside a request."""
    if _WRITE_ENGINE in session.info:
        session.commit()  # reads only: nothing is written


def begin_write(session: Session) -> None:
    """From here on the request writes: its reads so far end, and its one transaction
    begins now (on SQLite, BEGIN IMMEDIATE: the write lock), so that the reads that decide
    the writes see the state they change. Call it just before those reads, after any
    long computation. A no-op in a session that writes already."""
    engine = session.info.pop(_WRITE_ENGINE, None)
    if engine is None:
        return
    session.commit()  # reads only: nothing is written
    session.bind = engine
    session.connection()


_AFTER_COMMIT = "governance.after_commit"


def after_commit(
    session: Session,
    action: Callable[[], object],
    on_rollback: Callable[[], object] | None = None,
) -> None:
    """Run `action` once the session's transaction has committed, else `on_rollback`."""
    # Begin the transaction now: a rollback before any statement would otherwise be a
    # no-op that fires no event, and the action would run at some later commit.
    session.connection()
    session.info.setdefault(_AFTER_COMMIT, []).append((action, on_rollback))


@event.listens_for(OrmSession, "after_commit")
def _run_after_commit(session: OrmSession) -> None:
    for action, _ in session.info.pop(_AFTER_COMMIT, []):
        action()


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_after_commit(session: OrmSession, previous_transaction: SessionTransaction) -> None:
    # A savepoint rolled back inside a request does not undo the request's other work.
    if not previous_transaction.nested:
        for _, on_rollback in session.info.pop(_AFTER_COMMIT, []):
            if on_rollback is not None:
                on_rollback()


def ping(session: Session) -> None:
    """Fails unless the database answers."""
    session.connection().exec_driver_sql("SELECT 1")
