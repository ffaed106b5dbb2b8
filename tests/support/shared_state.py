"""A state built once per module and shared by tests that each undo what they change.

Building a filled service (works, models, calls, keys) costs seconds; tests that only edit
rows and read what the service makes of them share one, each in a transaction that is
rolled back, so every test starts from the state as built:

    with rolled_back(shared) as session:
        assert reconcile(session) == []   # the shared state is intact
        run(session, "UPDATE works SET title = 'Forged'")
        problems = reconcile(session)      # reads the edit, uncommitted
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlmodel import Session

from tests.support.service_fixture import Service


@contextmanager
def rolled_back(service: Service) -> Iterator[Session]:
    """A session on the service's database whose every change is rolled back at the end
    of the block, whatever happens in it."""
    with Session(service.app.state.services.engine) as session:
        try:
            yield session
        finally:
            session.rollback()


def run(session: Session, *statements: str) -> None:
    """SQL straight into the database, as someone with direct access would type it. What
    the session loaded before is expired: the next read sees the edit, not its own copy."""
    for statement in statements:
        session.exec(text(statement))  # type: ignore[call-overload]
    session.expire_all()
