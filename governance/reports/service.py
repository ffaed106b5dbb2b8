"""A call's report: queued with the call, served when ready, retried by an admin.

A report is served to the roles that read calls, for a call that keeps an output
(pending review or released): a restoration's explains what the model changed (explain/),
a generation's sets the output beside the registered works and training items nearest
to it (generation.py). A blocked or failed call and a withheld (rejected) output have
none to show.
"""

from dataclasses import dataclass

from sqlmodel import Session, select

from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.calls.models import ModelCall
from governance.calls.status import CALL_READERS, keeps_output
from governance.db import after_commit, begin_write
from governance.reports.errors import (
    ReportFailed,
    ReportFileNotFound,
    ReportNotFailed,
    ReportNotFound,
)
from governance.reports.job import locked_row
from governance.reports.models import CallReport, ReportState
from governance.reports.queue import enqueue_quietly
from governance.reports.schemas import ReportStatus, report_status
from governance.services import Services
from rights.models import utcnow

JSON = "application/json"
PAGE = "report.html"


def queue_report(session: Session, services: Services, call_id: int) -> CallReport:
    """The call's report row, written in the call's own unit of work; its message is
    enqueued only once that has committed, so no job ever sees an uncommitted call."""
    row = CallReport(call_id=call_id, state=ReportState.QUEUED)
    session.add(row)
    session.flush()
    settings = services.settings
    after_commit(session, lambda: enqueue_quietly(settings, call_id))
    return row


def report_of(session: Session, call_id: int) -> CallReport | None:
    query = select(CallReport).where(CallReport.call_id == call_id)
    return session.exec(query).first()


@dataclass(frozen=True)
class Served:
    """A ready report's bytes (or one file's), or the job's state while it is not."""

    data: bytes | None
    media_type: str
    status: ReportStatus | None


def _served_row(session: Session, principal: Principal, call_id: int) -> CallReport:
    require_role(principal, *CALL_READERS)
    call = session.get(ModelCall, call_id)
    row = report_of(session, call_id) if call is not None else None
    if call is None or row is None or not keeps_output(call.status):
        raise ReportNotFound(f"call {call_id} has no report served to {principal.role}")
    return row


def get_report(session: Session, services: Services, principal: Principal, call_id: int) -> Served:
    """The stored JSON bytes when ready, the job's state while queued or running; a
    failed job is an error that says why."""
    row = _ready_row(session, principal, call_id)
    if row.state != ReportState.READY or row.report_sha256 is None:
        return Served(None, JSON, report_status(row))
    return Served(services.blobs.get(row.report_sha256), JSON, None)


def _ready_row(session: Session, principal: Principal, call_id: int) -> CallReport:
    """The served row; a failed one is an error that says why."""
    row = _served_row(session, principal, call_id)
    if row.state == ReportState.FAILED:
        raise ReportFailed(
            f"the report of call {call_id} failed (attempt {row.attempts}): {row.reason}; "
            f"an admin may retry it (POST /v1/calls/{call_id}/report/retry)"
        )
    return row


def get_report_file(
    session: Session, services: Services, principal: Principal, call_id: int, name: str
) -> Served:
    """One file of a ready report, by a name the report itself lists: no other name,
    and no path, is ever looked up."""
    row = _ready_row(session, principal, call_id)
    if row.state != ReportState.READY:
        return Served(None, JSON, report_status(row))
    listed = row.files.get(name)
    if not isinstance(listed, dict):
        raise ReportFileNotFound(f"the report of call {call_id} has no file '{name[:100]}'")
    return Served(services.blobs.get(listed["sha256"]), str(listed["media_type"]), None)


def get_report_page(
    session: Session, services: Services, principal: Principal, call_id: int
) -> Served:
    return get_report_file(session, services, principal, call_id, PAGE)


def retry_report(
    session: Session, services: Services, principal: Principal, call_id: int
) -> ReportStatus:
    """Put a failed report back on the queue (admin); 409 in any other state."""
    require_role(principal, Role.ADMIN)
    begin_write(session)
    row = locked_row(session, call_id)
    if row is None:
        raise ReportNotFound(f"call {call_id} has no report")
    if row.state != ReportState.FAILED:
        raise ReportNotFailed(
            f"the report of call {call_id} is {row.state}: only a failed one is retried"
        )
    row.state = ReportState.QUEUED
    row.queued_at = utcnow()
    row.started_at = None
    row.finished_at = None
    session.add(row)
    session.flush()
    settings = services.settings
    after_commit(session, lambda: enqueue_quietly(settings, call_id))
    return report_status(row)
