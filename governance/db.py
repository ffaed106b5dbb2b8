"""Engine, per-request session, and schema migration through alembic."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, create_engine

import migrations
from governance.settings import Settings

MIGRATIONS_DIR = Path(migrations.__file__).parent


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks BEGIN IMMEDIATE,
    # so it is switched off and every transaction begins IMMEDIATE: it holds the write
    # lock from its first statement, so a read followed by a write (the audit log's
    # next index, then the append) cannot be overtaken by another writer.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: object, _record: object) -> None:
        dbapi_conn.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: object) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the schema to the newest revision; the only way tables are made."""
    command.upgrade(alembic_config(url), "head")


def prepare_storage(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.resolved_database_url)


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
