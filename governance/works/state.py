"""What a work's output says beyond its registration: its dispute, near-copy record and
detector score."""

from typing import Any

from sqlmodel import Session, select

from governance.detectors.schemas import SyntheticOut
from governance.works.schemas import DisputedWorkOut, DisputeResolutionOut, DisputingWorkOut
from rights.disputes import binds, disputed_works, disputing_works
from rights.models import Work, WorkNearCopy


def work_state(session: Session, work: Work) -> dict[str, Any]:
    """WorkOut's fields for the work's status, dispute, near-copy record and detectors."""
    assert work.id is not None
    disputed = [
        DisputedWorkOut(
            work_id=d.other_work_id,
            holder_id=holder,
            method=d.method,
            score=d.score,
            inliers=d.inliers,
        )
        for d, holder in disputed_works(session, work.id)
    ]
    disputing = [
        DisputingWorkOut(work_id=w.id, holder_id=w.holder_id, status=w.status)
        for w in disputing_works(session, work.id)
        if w.id is not None
    ]
    indexed = session.exec(select(WorkNearCopy.id).where(WorkNearCopy.work_id == work.id))
    resolution = (
        DisputeResolutionOut.model_validate(work.dispute) if work.dispute is not None else None
    )
    return {
        "status": work.status,
        "binds": binds(work.status),
        "disputed_works": disputed,
        "disputed_by": disputing,
        "dispute_resolution": resolution,
        "near_copy_indexed": indexed.first() is not None,
        "synthetic": (
            SyntheticOut.model_validate(work.synthetic) if work.synthetic is not None else None
        ),
    }
