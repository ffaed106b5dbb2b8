"""Reading the review queue and a call's decisions."""

from typing import Any

from sqlmodel import Session, col, select

from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.calls.models import ModelCall
from governance.calls.status import CALL_READERS, CallStatus
from governance.errors import CallNotFound
from governance.reports.models import CallReport
from governance.reviews.models import CallReview, Decision
from governance.reviews.schemas import (
    CallReviews,
    Flag,
    QueuedCall,
    Region,
    ReportState,
    ReviewOut,
    ReviewQueue,
)
from governance.services import Services

QUEUE_READERS = (Role.CONSERVATOR, Role.AUDITOR, Role.ADMIN)


def review_queue(
    session: Session, services: Services, principal: Principal, limit: int
) -> ReviewQueue:
    """Pending outputs, oldest first, with what the stages flagged and the report's state."""
    require_role(principal, *QUEUE_READERS)
    page = min(limit, services.settings.page_size_max)
    query = (
        select(ModelCall)
        .where(ModelCall.status == CallStatus.PENDING_REVIEW)
        .order_by(col(ModelCall.created_at), col(ModelCall.id))
        .limit(page)
    )
    calls = list(session.exec(query))
    ids = [c.id for c in calls]
    reports = {
        r.call_id: r
        for r in session.exec(select(CallReport).where(col(CallReport.call_id).in_(ids)))
    }
    approvals: dict[int, int] = {}
    approving = select(CallReview).where(
        col(CallReview.call_id).in_(ids), CallReview.decision == Decision.APPROVE.value
    )
    for review in session.exec(approving):
        approvals[review.call_id] = approvals.get(review.call_id, 0) + 1
    needed = services.settings.review_approvals
    queued = []
    for call in calls:
        assert call.id is not None
        report = reports.get(call.id)
        queued.append(
            QueuedCall(
                call_id=call.id,
                kind=call.kind,
                created_at=call.created_at,
                flags=flags_of(call.stages),
                report=(
                    ReportState(
                        state=report.state, report_sha256=report.report_sha256, reason=report.reason
                    )
                    if report
                    else None
                ),
                approvals=approvals.get(call.id, 0),
                approvals_needed=needed,
                call_url=f"/v1/calls/{call.id}",
                output_url=f"/v1/calls/{call.id}/output",
            )
        )
    return ReviewQueue(calls=queued)


def call_reviews(
    session: Session, services: Services, principal: Principal, call_id: int
) -> CallReviews:
    require_role(principal, *CALL_READERS)
    call = session.get(ModelCall, call_id)
    if call is None:
        raise CallNotFound(f"there is no call {call_id}")
    query = select(CallReview).where(CallReview.call_id == call_id).order_by(col(CallReview.id))
    reviews = [review_out(r) for r in session.exec(query)]
    return CallReviews(
        call_id=call_id,
        status=call.status,
        approvals=sum(r.decision == Decision.APPROVE.value for r in reviews),
        approvals_needed=services.settings.review_approvals,
        reviews=reviews,
    )


def flags_of(stages: list[dict[str, Any]]) -> list[Flag]:
    """The reasons of the stages that flagged the call (a person decides)."""
    return [
        Flag(stage=str(stage.get("name")), code=str(r.get("code")), detail=str(r.get("detail")))
        for stage in stages
        if stage.get("outcome") == "flagged"
        for r in stage.get("reasons") or []
        if isinstance(r, dict)
    ]


def review_out(row: CallReview) -> ReviewOut:
    assert row.id is not None and row.audit_index is not None
    return ReviewOut(
        id=row.id,
        call_id=row.call_id,
        reviewer=row.reviewer,
        reviewer_key_id=row.reviewer_key_id,
        decision=Decision(row.decision).value,
        comment=row.comment,
        regions=[Region.model_validate(r) for r in row.regions],
        report_sha256=row.report_sha256,
        audit_index=row.audit_index,
        decided_at=row.decided_at,
    )
