"""`/v1/screen`: is any file a copy or an altered copy of a registered work, does it look
AI-made, is it an output of this service. Any key; each learns what it may see."""

from fastapi import APIRouter

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.params import OneFile, read_upload
from governance.screening import service
from governance.screening.schemas import ScreenResult

router = APIRouter(prefix="/v1", tags=["screening"])


@router.post("/screen", response_model=ScreenResult)
def screen_file(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, file: OneFile
) -> ScreenResult:
    """Near-copies of registered works, best first (with the transform, and the regions
    where a copy was altered, in the file's pixels); the AI-made detectors' scores
    (evidence, never a verdict); and the service's own output this file is, if any.
    Titles, creators and holders only for keys that may read those works."""
    data = read_upload(file, services.settings)
    return service.screen_file(session, services, principal, data)
