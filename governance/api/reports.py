"""`/v1/calls/{id}/report...`: a call's report (a restoration's, "restoration-report/1",
or a generation's, "generation-report/1"), its page and files, and retries."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, status
from fastapi.responses import JSONResponse, Response

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.params import MAX_ID
from governance.reports import service
from governance.reports.schemas import ReportStatus

router = APIRouter(prefix="/v1", tags=["reports"])
CallId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A file's name as the report lists it; any other name, a path included, is looked up
# nowhere but in that list (404).
FileName = Annotated[str, Path(min_length=1, max_length=200)]
# The page and the files hold no script and load nothing but what they embed; a report
# is a reviewer's copy of an unreleased output, kept by no cache.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Cache-Control": "private, no-store",
}
NOT_READY: dict[int | str, dict[str, Any]] = {
    202: {"model": ReportStatus, "description": "the job is queued or running"},
    409: {
        "description": "the job failed: the detail says why",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    },
}


def _answer(served: service.Served) -> Response:
    if served.status is not None:
        return JSONResponse(
            served.status.model_dump(mode="json"),
            status_code=status.HTTP_202_ACCEPTED,
            headers=PAGE_HEADERS,
        )
    assert served.data is not None
    return Response(served.data, media_type=served.media_type, headers=PAGE_HEADERS)


@router.get(
    "/calls/{call_id:int}/report",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, **NOT_READY},
)
def get_report(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, call_id: CallId
) -> Response:
    """The report's JSON, byte for byte as stored (its SHA-256 is in the `report.ready`
    audit entry; its `schema` names its kind and version); 202 with the job's state while
    it is queued or running; 409 with the reason when it failed."""
    return _answer(service.get_report(session, services, principal, call_id))


@router.get(
    "/calls/{call_id:int}/report.html",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}}, "description": "the report for people"},
        **NOT_READY,
    },
)
def get_report_page(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, call_id: CallId
) -> Response:
    return _answer(service.get_report_page(session, services, principal, call_id))


@router.get(
    "/calls/{call_id:int}/report/files/{name}",
    response_class=Response,
    responses={200: {"description": "the file, with its media type"}, **NOT_READY},
)
def get_report_file(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    call_id: CallId,
    name: FileName,
) -> Response:
    """A figure or raw map the report lists, with its media type."""
    return _answer(service.get_report_file(session, services, principal, call_id, name))


@router.post(
    "/calls/{call_id:int}/report/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ReportStatus,
)
def retry_report(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, call_id: CallId
) -> ReportStatus:
    """Put a failed report back on the queue (admin); 409 unless it failed."""
    return service.retry_report(session, services, principal, call_id)
