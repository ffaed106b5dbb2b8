"""The files a call's pages show: its output, served as GET /v1/calls/{id}/output serves
it, and its report's page and files, served as GET /v1/calls/{id}/report.html and
/report/files/{name} serve them: the same functions, so the same rules (a rejected
output is served to no one; a pending one only to those who review or audit it)."""

from dataclasses import dataclass

from sqlmodel import Session

from governance.auth.service import Principal
from governance.calls import service as calls
from governance.calls.status import CallStatus
from governance.reports import service as reports
from governance.reviews.errors import ReportNotReady
from governance.services import Services


@dataclass(frozen=True)
class ServedFile:
    data: bytes
    media_type: str


@dataclass(frozen=True)
class ServedOutput(ServedFile):
    status: CallStatus  # decides its caching, as the API's


def output_file(
    session: Session, services: Services, principal: Principal, call_id: int
) -> ServedOutput:
    data, media_type, status = calls.get_output(session, services, principal, call_id)
    return ServedOutput(data, media_type, status)


def _ready(served: reports.Served, call_id: int) -> ServedFile:
    if served.status is not None or served.data is None:
        state = served.status.state.value if served.status is not None else "not ready"
        # The API answers 202 with the job's state; an image or a link needs the file.
        raise ReportNotReady(f"the report of call {call_id} is {state}: its files come when ready")
    return ServedFile(served.data, served.media_type)


def report_file(
    session: Session, services: Services, principal: Principal, call_id: int, name: str
) -> ServedFile:
    """A file the report lists, by its name (no other name, and no path, is looked up)."""
    return _ready(reports.get_report_file(session, services, principal, call_id, name), call_id)


def report_page(
    session: Session, services: Services, principal: Principal, call_id: int
) -> ServedFile:
    """The report's self-contained page for people."""
    return _ready(reports.get_report_page(session, services, principal, call_id), call_id)
