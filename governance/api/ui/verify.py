"""/ui/verify: any key drops one or several files and reads, per file, their labels, the
EU and GB checks, the service's record and the screen, in plain words; printable."""

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse

from governance.api.deps import ServicesDep, SessionDep
from governance.api.ui.deps import CallerDep, FormCallerDep
from governance.api.ui.render import page
from governance.pages.verify import Upload, verify_files

router = APIRouter()


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, services: ServicesDep, caller: CallerDep) -> HTMLResponse:
    limit = services.settings.max_upload_bytes
    return page(request, "verify.html", caller, verdicts=None, limit=limit)


@router.post("/verify", response_class=HTMLResponse)
def verify(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: FormCallerDep,
    files: Annotated[list[UploadFile], File()],
) -> HTMLResponse:
    uploads = [Upload(f.filename or "(unnamed file)", f.file) for f in files]
    verdicts = verify_files(session, services, caller.principal, uploads)
    limit = services.settings.max_upload_bytes
    return page(request, "verify.html", caller, verdicts=verdicts, limit=limit)
