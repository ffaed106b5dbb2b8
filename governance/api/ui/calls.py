"""/ui/calls/...: the operator's new call (a restoration with a mask uploaded or painted,
or a generation), a call's page, and the files it shows, through the API's own service
functions and rules."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from governance.api.deps import ServicesDep, SessionDep
from governance.api.headers import served_file_headers
from governance.api.params import MAX_ID, read_upload
from governance.api.reports import PAGE_HEADERS
from governance.api.ui.deps import CallerDep, FormCallerDep
from governance.api.ui.render import page
from governance.pages import calls as new_calls
from governance.pages import calls_files, calls_view
from governance.pages.call_audit import reads_trail
from governance.pages.calls import GenerationFields, NewCallPage, Reader, RestorationFields
from governance.settings import Settings

router = APIRouter()
CallId = Annotated[int, Path(ge=1, le=MAX_ID)]
FileName = Annotated[str, Path(min_length=1, max_length=200)]
Upload = Annotated[UploadFile | None, File()]
Text = Annotated[str, Form()]


def _reader(upload: UploadFile | None, settings: Settings, field: str) -> Reader | None:
    # A file input left empty is sent as a part with no file name: no file was chosen.
    if upload is None or not upload.filename:
        return None
    return lambda: read_upload([upload], settings, field=field)


def _answer(request: Request, caller: CallerDep, started: int | NewCallPage) -> Response:
    if isinstance(started, int):
        return RedirectResponse(f"/ui/calls/{started}", status_code=303)
    status = started.refusal.status if started.refusal is not None else 200
    return page(request, "calls_new.html", caller, status_code=status, view=started)


@router.get("/calls/new", response_class=HTMLResponse)
def new_call(
    request: Request, session: SessionDep, services: ServicesDep, caller: CallerDep
) -> HTMLResponse:
    view = new_calls.new_call_page(session, services, caller.principal)
    return page(request, "calls_new.html", caller, view=view)


@router.post("/calls/restorations", response_model=None)
def start_restoration(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: FormCallerDep,
    file: Upload = None,
    mask: Upload = None,
    painted_mask: Upload = None,
    model: Text = "",
    version: Text = "",
    visible_label: Text = "",
) -> Response:
    settings = services.settings
    started = new_calls.start_restoration(
        session,
        services,
        caller.principal,
        _reader(file, settings, "file"),
        _reader(mask, settings, "mask"),
        _reader(painted_mask, settings, "mask"),
        RestorationFields(model=model, version=version, visible_label=visible_label),
    )
    return _answer(request, caller, started)


@router.post("/calls/generations", response_model=None)
def start_generation(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: FormCallerDep,
    model: Text = "",
    version: Text = "",
    prompt: Text = "",
    seed: Text = "",
    width: Text = "",
    height: Text = "",
    visible_label: Text = "",
) -> Response:
    fields = GenerationFields(model, version, prompt, seed, width, height, visible_label)
    started = new_calls.start_generation(session, services, caller.principal, fields)
    return _answer(request, caller, started)


@router.get("/calls/{call_id:int}", response_class=HTMLResponse)
def call(
    request: Request, session: SessionDep, services: ServicesDep, caller: CallerDep, call_id: CallId
) -> HTMLResponse:
    view = calls_view.call_page(session, services, caller.principal, call_id)
    shows_trail = reads_trail(caller.principal)
    return page(
        request, "calls_call.html", caller, view=view, call_id=call_id, shows_trail=shows_trail
    )


@router.get("/calls/{call_id:int}/output", response_class=Response)
def output(
    session: SessionDep, services: ServicesDep, caller: CallerDep, call_id: CallId
) -> Response:
    served = calls_files.output_file(session, services, caller.principal, call_id)
    return Response(
        served.data, media_type=served.media_type, headers=served_file_headers(served.status)
    )


@router.get("/calls/{call_id:int}/report", response_class=Response)
def report_page(
    session: SessionDep, services: ServicesDep, caller: CallerDep, call_id: CallId
) -> Response:
    served = calls_files.report_page(session, services, caller.principal, call_id)
    return Response(served.data, media_type=served.media_type, headers=PAGE_HEADERS)


@router.get("/calls/{call_id:int}/report/files/{name}", response_class=Response)
def report_file(
    session: SessionDep,
    services: ServicesDep,
    caller: CallerDep,
    call_id: CallId,
    name: FileName,
) -> Response:
    served = calls_files.report_file(session, services, caller.principal, call_id, name)
    return Response(served.data, media_type=served.media_type, headers=PAGE_HEADERS)
