"""A conservator's decision on a pending output, and the release it may bring.

One decision is one `review.decided` entry, written in the request's one transaction with
its `call_reviews` row and the call's new status. The approval that reaches
`settings.review_approvals` (by as many holders) releases the output: its pixels signed
again under a manifest naming every approval and its entry, whose index is known before
signing because the log's append lock is held from the start of the decision.
"""

import io

from PIL import Image
from sqlmodel import Session, col, select

from governance.audit.entries_reports import ReleasedOutput, ReviewDecided, ReviewRegion
from governance.audit.log import size as audit_size
from governance.auth.models import ApiKey, Role
from governance.auth.service import Principal, require_role
from governance.calls.models import ModelCall
from governance.calls.status import CallStatus, can_move
from governance.credentials.release import record_release, sign_release_of
from governance.db import begin_write
from governance.errors import CallNotFound, InvalidInput
from governance.reports.models import CallReport, ReportState
from governance.reviews.errors import (
    AlreadyDecided,
    CallNotPending,
    OwnCall,
    ReleaseNotSigned,
    ReportNotReady,
)
from governance.reviews.models import CallReview, Decision
from governance.reviews.queue import review_out
from governance.reviews.schemas import DecisionOut, ReleasedOut, ReviewIn
from governance.services import Services
from labeling.c2pa_release import ReviewerDecision, ReviewRecord
from labeling.c2pa_sign import SigningError
from rights.models import utcnow


def decide(
    session: Session, services: Services, principal: Principal, call_id: int, body: ReviewIn
) -> DecisionOut:
    require_role(principal, Role.CONSERVATOR)
    begin_write(session)
    # Decisions queue here (and with every other append): the second of two at once sees
    # the first, and the entry's index is known before the release is signed.
    services.audit.lock(session)
    call = session.exec(
        select(ModelCall).where(col(ModelCall.id) == call_id).with_for_update()
    ).first()
    if call is None:
        raise CallNotFound(f"there is no call {call_id}")
    if call.status is not CallStatus.PENDING_REVIEW:
        raise CallNotPending(f"call {call_id} is {call.status}: only a pending output is decided")
    if holder_of_call(session, call) == principal.name.casefold():
        raise OwnCall(
            f"call {call_id} was made by a key of {principal.name}: its holder may not review it"
        )
    _check_regions(services, call, body)
    report = session.exec(select(CallReport).where(CallReport.call_id == call_id)).first()
    if report is None or report.state != ReportState.READY.value or not report.report_sha256:
        state = report.state if report else "not queued"
        raise ReportNotReady(
            f"the report of call {call_id} is {state}: a decision is made on a ready report"
        )
    earlier = list(
        session.exec(
            select(CallReview).where(CallReview.call_id == call_id).order_by(col(CallReview.id))
        )
    )
    if any(r.reviewer.casefold() == principal.name.casefold() for r in earlier):
        raise AlreadyDecided(f"{principal.name} has decided on call {call_id} already")

    index = audit_size(session)
    key_id = int(principal.actor.removeprefix("key:"))
    row = CallReview(
        call_id=call_id,
        reviewer_key_id=key_id,
        reviewer=principal.name,
        decision=body.decision,
        comment=body.comment,
        regions=[r.model_dump() for r in body.regions],
        report_sha256=report.report_sha256,
        audit_index=index,
        decided_at=utcnow(),
    )
    approvals = [r for r in [*earlier, row] if r.decision == Decision.APPROVE.value]
    needed = services.settings.review_approvals
    if body.decision == Decision.REJECT.value:
        status = CallStatus.REJECTED
    elif len(approvals) >= needed:
        status = CallStatus.RELEASED
    else:
        status = CallStatus.PENDING_REVIEW
    assert status is call.status or can_move(call.status, status)
    release = None
    if status is CallStatus.RELEASED:
        review = ReviewRecord(
            call_id=call_id,
            report_sha256=report.report_sha256,
            decisions=tuple(_named(r) for r in approvals),
            approvals_needed=needed,
        )
        try:
            release = sign_release_of(session, services, call, review)
        except SigningError as exc:
            raise ReleaseNotSigned(f"the released output could not be signed: {exc}") from exc
    released = (
        ReleasedOutput(
            manifest_id=release.draft.manifest_id,
            output_sha256=release.output_sha256,
            manifest_store_sha256=release.manifest_store_sha256,
        )
        if release
        else None
    )
    entry = services.audit.record(
        session,
        f"call:{call_id}",
        principal.actor,
        ReviewDecided(
            call_id=call_id,
            reviewer=row.reviewer,
            reviewer_key_id=key_id,
            decision=body.decision,
            comment=body.comment,
            regions=[ReviewRegion(**r.model_dump()) for r in body.regions],
            report_sha256=row.report_sha256,
            status=status.value,
            released=released,
        ),
    )
    assert entry.idx == index, "the append lock was held: the index cannot have moved"
    session.add(row)
    call.status = status
    if release is not None:
        # What GET /v1/calls/{id}/output serves from now on; the pending file stays
        # recorded by call.recorded and its own label.
        call.output_sha256 = release.output_sha256
        record_release(session, services, principal.actor, call_id, release)
    session.add(call)
    session.flush()
    return DecisionOut(
        **review_out(row).model_dump(),
        status=status,
        released=(
            ReleasedOut(
                **released.model_dump(), manifest_url=f"/v1/manifests/{released.manifest_id}"
            )
            if released
            else None
        ),
    )


def holder_of_call(session: Session, call: ModelCall) -> str | None:
    """The holder (casefolded) of the key that made the call; keys of one holder share
    its name (`govern keys create --holder`)."""
    if not call.actor.startswith("key:"):
        return None
    key = session.get(ApiKey, int(call.actor.removeprefix("key:")))
    return key.name.casefold() if key else None


def _named(row: CallReview) -> ReviewerDecision:
    assert row.audit_index is not None
    return ReviewerDecision(
        reviewer=row.reviewer,
        reviewer_key_id=row.reviewer_key_id,
        decision=row.decision,
        audit_index=row.audit_index,
        report_sha256=row.report_sha256,
        decided_at=row.decided_at.isoformat().replace("+00:00", "Z"),
    )


def _check_regions(services: Services, call: ModelCall, body: ReviewIn) -> None:
    """Regions are boxes inside the output, in its pixels."""
    if not body.regions:
        return
    assert call.output_sha256 is not None
    with Image.open(io.BytesIO(services.blobs.get(call.output_sha256))) as image:
        width, height = image.size
    for number, region in enumerate(body.regions):
        if region.x + region.width > width or region.y + region.height > height:
            raise InvalidInput(
                f"region {number} ({region.x}, {region.y}, {region.width} x {region.height}) "
                f"is not inside the {width} x {height} output"
            )
