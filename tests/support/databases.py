"""Test databases made fast without changing what a test sees.

- SQLite: one database is migrated per test process (`alembic upgrade head`, as before)
  and each test gets a byte-for-byte copy of it, instead of running every migration again.
- PostgreSQL: one database is migrated per test process and every database the tests
  make is a copy of it (CREATE DATABASE ... TEMPLATE). Between tests only the tables that
  were written to are truncated (with their sequences restarted); a table that is empty
  and was never written to is already in the state TRUNCATE would leave it in.
  Truncating every table took ~0.2 s a test.
- Neither database syncs commits to disk: no test is about surviving a power cut, and
  waiting for the disk was most of the suite's time on a shared machine (SQLite connections
  get `PRAGMA synchronous=OFF`, the PostgreSQL test database `synchronous_commit=off`).
  Locking, isolation and what each commit makes visible are unchanged.
"""

import atexit
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import Pool

from governance.db import migrate
from governance.settings import normalise_database_url

_SIDE_FILES = ("-wal", "-shm", "-journal")

# Tables written to since the last reset: rows in the main fork (even dead ones), or a
# sequence of theirs that has been used. Everything else is as TRUNCATE ... RESTART
# IDENTITY leaves it.
_WRITTEN_TABLES = text(
    """
    SELECT t.relname FROM pg_class t
    WHERE t.relnamespace = 'public'::regnamespace AND t.relkind = 'r'
      AND t.relname <> 'alembic_version'
      AND (
        pg_relation_size(t.oid) > 0
        OR EXISTS (
          SELECT 1 FROM pg_depend d
          JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
          JOIN pg_sequences q ON q.schemaname = 'public' AND q.sequencename = s.relname
          WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
            AND d.refobjid = t.oid AND d.deptype IN ('a', 'i') AND q.last_value IS NOT NULL
        )
      )
    ORDER BY t.relname
    """
)


def _no_sync(dbapi_connection: object, _record: object) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def install_no_sync() -> None:
    """Every SQLite connection SQLAlchemy opens in this process skips fsync."""
    if not event.contains(Pool, "connect", _no_sync):
        event.listen(Pool, "connect", _no_sync)


@cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="govern-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "template.db"
    migrate(f"sqlite:///{path}")
    # Alembic's engine is closed (NullPool): a WAL, if any, was checkpointed into the file.
    assert not any(Path(f"{path}{suffix}").exists() for suffix in _SIDE_FILES), path
    return path


def migrated_sqlite(path: Path) -> str:
    """A migrated, empty SQLite database at `path`: a copy of this process' template. Its
    URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_sqlite_template(), path)
    return f"sqlite:///{path}"


@contextmanager
def own_postgres(server_url: str, template: str | None = None) -> Iterator[str]:
    """A migrated PostgreSQL database of its own on the server of `server_url`, dropped
    when the block ends: a copy of `template` (a migrated database no one is connected
    to), else migrated here."""
    admin_url = make_url(normalise_database_url(server_url))
    name = f"govern_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        copied = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copied}'))
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        if template is None:
            migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def empty_postgres(engine: Engine) -> None:
    """Empty every table written to since the last call, restarting its sequences."""
    with engine.begin() as conn:
        written = conn.execute(_WRITTEN_TABLES).scalars().all()
        if written:
            names = ", ".join(f'"{t}"' for t in written)
            # The audit tables refuse TRUNCATE; only tests, as superuser, step around it.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
