"""A work's status, and the disputes between works of different holders.

A work registered as a near copy of another holder's earlier work is `disputed`: it stays
registered, but its terms bind no one (clearance, prompts, restorations) until an admin
resolves the dispute, `upheld` (its terms bind from then on) or `rejected` (it never
binds). The earlier work's terms bind throughout.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, func, select

from rights.models import Work, WorkDispute


class WorkStatus(StrEnum):
    REGISTERED = "registered"
    DISPUTED = "disputed"
    UPHELD = "upheld"
    REJECTED = "rejected"


BINDING = frozenset({WorkStatus.REGISTERED, WorkStatus.UPHELD})


def binds(status: str) -> bool:
    return status in BINDING


@dataclass(frozen=True)
class Claim:
    """An earlier work the new one was found to copy."""

    other_work_id: int
    method: str
    score: float
    inliers: int


def record_disputes(session: Session, work: Work, claims: Sequence[Claim]) -> None:
    """Mark `work` disputed over these earlier works (flushed)."""
    assert work.id is not None
    work.status = WorkStatus.DISPUTED.value
    session.add(work)
    for claim in claims:
        session.add(
            WorkDispute(
                work_id=work.id,
                other_work_id=claim.other_work_id,
                method=claim.method,
                score=claim.score,
                inliers=claim.inliers,
            )
        )
    session.flush()


def disputed_works(session: Session, work_id: int) -> list[tuple[WorkDispute, int]]:
    """The earlier works `work_id` is disputed over, with their holders."""
    query = (
        select(WorkDispute, Work.holder_id)
        .join(Work, col(Work.id) == col(WorkDispute.other_work_id))
        .where(WorkDispute.work_id == work_id)
        .order_by(col(WorkDispute.id))
    )
    return [(dispute, holder) for dispute, holder in session.exec(query)]


def disputing_works(session: Session, work_id: int) -> list[Work]:
    """The later works of other holders disputed over `work_id`."""
    query = (
        select(Work)
        .join(WorkDispute, col(WorkDispute.work_id) == col(Work.id))
        .where(WorkDispute.other_work_id == work_id)
        .order_by(col(Work.id))
    )
    return list(session.exec(query))


def newest_work_id(session: Session) -> int:
    return int(session.exec(select(func.max(Work.id))).one() or 0)


def work_ids_after(session: Session, work_id: int) -> list[int]:
    """Works registered after `work_id` (registrations take ids in commit order: they
    take them under the audit log's lock)."""
    query = select(Work.id).where(col(Work.id) > work_id).order_by(col(Work.id))
    return [i for i in session.exec(query) if i is not None]


def holders_of(session: Session, work_ids: set[int]) -> dict[int, tuple[int, str]]:
    """Each work's holder and status."""
    if not work_ids:
        return {}
    query = select(Work.id, Work.holder_id, Work.status).where(col(Work.id).in_(work_ids))
    return {i: (h, s) for i, h, s in session.exec(query) if i is not None}
