"""Near-copy records for works registered before them (or with another vocabulary).

`govern works reindex` reads each such work's stored file (the blob store keeps every
registered file by its SHA-256), describes it as registration does now, and adds its
record and reduced copy, one transaction per work. A running service picks the new rows
up like any registration's (they get new row ids). Until then such a work is matched by
its exact pixels and hashes only, never by its local features. Reindexing does not
dispute old works: disputes are decided at registration.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from governance.db import begin_write, request_session
from governance.errors import GovernError
from governance.images import decode_image
from governance.services import Services
from governance.works import nearcopy_store
from rights.models import Work, WorkNearCopy

BATCH = 100


@dataclass
class ReindexReport:
    described: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def unindexed(session: Session, vocabulary_id: str, after: int, limit: int) -> list[Work]:
    """Works past `after` with no record of this vocabulary, by id."""
    current = select(WorkNearCopy.work_id).where(WorkNearCopy.vocabulary_id == vocabulary_id)
    query = (
        select(Work)
        .where(col(Work.id) > after, col(Work.id).not_in(current))
        .order_by(col(Work.id))
        .limit(limit)
    )
    return list(session.exec(query))


def count_unindexed(session: Session, vocabulary_id: str) -> int:
    current = select(WorkNearCopy.work_id).where(WorkNearCopy.vocabulary_id == vocabulary_id)
    query = select(func.count()).select_from(Work).where(col(Work.id).not_in(current))
    return int(session.exec(query).one())


def reindex_works(services: Services, advance: Callable[[], None] | None = None) -> ReindexReport:
    """Describe every work that lacks a record of the index's vocabulary."""
    vocabulary_id = services.near_copy_index.vocabulary_id
    report = ReindexReport()
    after = 0
    while True:
        with request_session(services.engine) as session:
            works = unindexed(session, vocabulary_id, after, BATCH)
        if not works:
            return report
        for work in works:
            assert work.id is not None
            after = work.id
            try:
                reindex_work(services, work)
                report.described.append(work.id)
            except (GovernError, OSError) as exc:
                report.failed.append((work.id, str(exc)))
            if advance is not None:
                advance()


def reindex_work(services: Services, work: Work) -> None:
    """One work's record and reduced copy, from its stored file (its own transaction)."""
    assert work.id is not None
    decoded = decode_image(services.blobs.get(work.sha256), services.settings)
    parts = nearcopy_store.describe(decoded)
    with request_session(services.engine) as session:
        begin_write(session)
        # A record of another vocabulary is replaced; the index never loaded it.
        session.execute(delete(WorkNearCopy).where(col(WorkNearCopy.work_id) == work.id))
        nearcopy_store.keep(session, services, work.id, parts, work.sha256)
