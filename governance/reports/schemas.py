"""Wire shapes of a call's report job."""

from datetime import datetime

from pydantic import BaseModel, Field

from governance.reports.models import CallReport, ReportState


class ReportRef(BaseModel):
    """What a call's answer says of its report."""

    state: ReportState
    url: str = Field(description="GET it: the JSON when ready, else the job's state")


class ReportStatus(BaseModel):
    """A report that is not ready (yet): its job's state, and why it failed if it did."""

    call_id: int
    state: ReportState
    attempts: int
    reason: str | None = Field(description="why the last attempt failed, in words")
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    url: str


def report_url(call_id: int) -> str:
    return f"/v1/calls/{call_id}/report"


def report_ref(row: CallReport | None) -> ReportRef | None:
    if row is None:
        return None
    return ReportRef(state=ReportState(row.state), url=report_url(row.call_id))


def report_status(row: CallReport) -> ReportStatus:
    return ReportStatus(
        call_id=row.call_id,
        state=ReportState(row.state),
        attempts=row.attempts,
        reason=row.reason,
        queued_at=row.queued_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        url=report_url(row.call_id),
    )
