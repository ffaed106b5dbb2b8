"""`govern audit check` as one pass: the log's check streams the entries once and hands
each chunk to the reconciliation of the live rows, all on one consistent snapshot of
the database, so that what is appended meanwhile is neither half seen nor blocked."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from governance.audit.check import MAX_PROBLEMS, check_log
from governance.audit.log import AuditLog, size
from governance.audit.reconcile import Reconciler
from governance.db import READ_ONLY, read_only


@dataclass(frozen=True)
class CheckReport:
    size: int  # the entries checked
    problems: list[str]  # the log's own first, then the live rows'; empty when intact


def check_everything(
    engine: Engine,
    audit: AuditLog,
    kept: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> CheckReport:
    """Check the log and reconcile the live rows with it, reading the log once.
    `progress` is told the entries read so far and the log's size."""
    with snapshot(engine) as session:
        total = size(session)
        reconciler = Reconciler(session, MAX_PROBLEMS)
        counted = None if progress is None else (lambda read: progress(read, total))
        checked, problems = check_log(session, audit, kept, reconciler.feed, counted)
        rows = reconciler.finish()
    return CheckReport(checked, problems + rows[: MAX_PROBLEMS - len(problems)])


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A session whose every read sees the database as of its first one, and which can
    write nothing. PostgreSQL: a REPEATABLE READ, READ ONLY transaction. SQLite: a
    deferred transaction, whose reads share one snapshot under WAL; it never takes the
    write lock (every other transaction here begins IMMEDIATE), so appends go on beside
    it, unseen."""
    if engine.dialect.name == "sqlite":
        with Session(read_only(engine)) as session:
            # Beneath SQLAlchemy: the read-only engine begins nothing and refuses BEGIN.
            session.connection().connection.driver_connection.execute("BEGIN")  # type: ignore[union-attr]
            try:
                yield session
            finally:
                session.rollback()
        return
    bound = engine.execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True, **{READ_ONLY: True}
    )
    with Session(bound) as session:
        try:
            yield session
        finally:
            session.rollback()
