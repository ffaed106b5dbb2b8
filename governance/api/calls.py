"""`/v1/restorations`, `/v1/generations`, `/v1/calls`: governed model calls."""

from typing import Annotated

from fastapi import APIRouter, Form, Path, status
from fastapi.responses import Response

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.headers import served_file_headers
from governance.api.params import MAX_ID, OneFile, one_part, read_upload
from governance.calls import service
from governance.calls.schemas import CallOut, GenerationIn
from governance.pipeline import service as pipeline

router = APIRouter(prefix="/v1", tags=["calls"])
CallId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/restorations", status_code=status.HTTP_201_CREATED, response_model=CallOut)
def restore(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    file: OneFile,
    mask: OneFile,
    metadata: Annotated[list[str] | None, Form()] = None,
) -> CallOut:
    """A governed restoration; refused calls are recorded too (status `blocked`)."""
    parsed = pipeline.parse_restoration_metadata(one_part(metadata, "metadata"))
    image = read_upload(file, services.settings)
    damage = read_upload(mask, services.settings, field="mask")
    return pipeline.restore(session, services, principal, image, damage, parsed)


@router.post("/generations", status_code=status.HTTP_201_CREATED, response_model=CallOut)
def generate(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, body: GenerationIn
) -> CallOut:
    """A governed generation; refused calls are recorded too (status `blocked`)."""
    return pipeline.generate(session, services, principal, body)


@router.get("/calls/{call_id:int}", response_model=CallOut)
def get_call(session: SessionDep, principal: PrincipalDep, call_id: CallId) -> CallOut:
    return service.get_call(session, principal, call_id)


@router.get("/calls/{call_id:int}/output", response_class=Response)
def get_output(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, call_id: CallId
) -> Response:
    data, media_type, call_status = service.get_output(session, services, principal, call_id)
    return Response(content=data, media_type=media_type, headers=served_file_headers(call_status))
