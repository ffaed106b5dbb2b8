"""/ui/works: a rights holder's works (auditors and admins: all), registering one, its
page with terms, history, dispute and sightings, changing its terms, its thumbnail."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from governance.api.deps import ServicesDep, SessionDep
from governance.api.params import MAX_ID, WorkId
from governance.api.ui.deps import CallerDep, FormCallerDep
from governance.api.ui.render import page
from governance.auth.ui_sessions import PageCaller
from governance.pages import works, works_forms
from governance.pages.works_forms import Refused, TermsFields, WorkFields
from governance.pages.works_words import USE_LABELS, VALUE_LABELS

router = APIRouter()

# A work's pixels never change under its id: the browser that was served them keeps them.
THUMBNAIL_HEADERS = {"Cache-Control": "private, max-age=3600"}


@router.get("/works", response_class=HTMLResponse)
def works_list(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: CallerDep,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> HTMLResponse:
    listing = works.works_listing(session, services, caller.principal, 24, offset)
    return page(request, "works_list.html", caller, listing=listing)


def _form_page(
    request: Request, caller: PageCaller, fields: WorkFields, refused: Refused | None = None
) -> HTMLResponse:
    return page(
        request,
        "works_new.html",
        caller,
        status_code=refused.status if refused else 200,
        fields=fields,
        refused=refused,
        uses=list(USE_LABELS.items()),
        values=list(VALUE_LABELS.items()),
    )


@router.get("/works/new", response_class=HTMLResponse)
def new_work(request: Request, caller: CallerDep) -> HTMLResponse:
    return _form_page(request, caller, works_forms.new_work_form(caller.principal))


@router.post("/works", response_model=None)
def register_work(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: FormCallerDep,
    fields: Annotated[WorkFields, Form()],
    file: Annotated[UploadFile, File()],
) -> Response:
    done = works_forms.register(session, services, caller.principal, fields, file.file)
    if isinstance(done, Refused):
        return _form_page(request, caller, fields, done)
    return RedirectResponse(f"/ui/works/{done.id}?registered=1", status_code=303)


@router.get("/works/{work_id:int}", response_class=HTMLResponse)
def work_page(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: CallerDep,
    work_id: WorkId,
    registered: bool = False,
    saved: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    unchanged: bool = False,
) -> HTMLResponse:
    detail = works.work_detail(session, services, caller.principal, work_id)
    notice = _notice(registered, saved, unchanged)
    return page(request, "works_detail.html", caller, detail=detail, notice=notice)


def _notice(registered: bool, saved: int | None, unchanged: bool) -> str | None:
    if registered:
        return "The work is registered: its terms are in force from now."
    if saved is not None:
        return f"The terms are changed: version {saved} is in force from now."
    if unchanged:
        return "These were the terms declared already: nothing changed."
    return None


@router.post("/works/{work_id:int}/terms", response_model=None)
def change_terms(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: FormCallerDep,
    work_id: WorkId,
    fields: Annotated[TermsFields, Form()],
) -> Response:
    done = works.change_terms(session, services, caller.principal, work_id, fields)
    if isinstance(done, works.WorkDetail):
        status = done.refused.status if done.refused else 200
        return page(
            request, "works_detail.html", caller, status_code=status, detail=done, notice=None
        )
    target = f"saved={done.version}" if done.changed else "unchanged=1"
    return RedirectResponse(f"/ui/works/{work_id}?{target}#terms", status_code=303)


@router.get("/works/{work_id:int}/thumbnail", response_class=Response)
def work_thumbnail(
    session: SessionDep, services: ServicesDep, caller: CallerDep, work_id: WorkId
) -> Response:
    shown = works.thumbnail(session, services, caller.principal, work_id)
    return Response(shown.data, media_type=shown.media_type, headers=THUMBNAIL_HEADERS)
