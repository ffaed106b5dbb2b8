"""`/v1/models`: the model registry and clearance."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from governance.aimodels import retire, service, twins
from governance.aimodels.schemas import (
    ClearanceOut,
    ModelIn,
    ModelOut,
    ModelPage,
    RetireIn,
    TwinOut,
    TwinReleaseIn,
)
from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.params import MAX_ID, NOT_DIGITS_ALONE

router = APIRouter(prefix="/v1/models", tags=["models"])
ModelId = Annotated[int, Path(ge=1, le=MAX_ID)]
NameQuery = Annotated[
    str | None, Query(min_length=1, max_length=200, description="only the versions of this name")
]
VersionQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=100, description="that version, not the newest cleared"),
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ModelOut)
def register_model(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, body: ModelIn
) -> ModelOut:
    return service.register_model(session, services, principal, body)


@router.get("", response_model=ModelPage)
def list_models(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    name: NameQuery = None,
) -> ModelPage:
    page = min(limit, services.settings.page_size_max)
    return service.list_models(session, principal, page, offset, name)


# Digits are an id (names are never digits alone); anything else is a name.
@router.get("/{model_id:int}", response_model=ModelOut)
def get_model(session: SessionDep, principal: PrincipalDep, model_id: ModelId) -> ModelOut:
    return service.get_model(session, principal, model_id)


@router.get("/{name}", response_model=ModelOut)
def get_model_named(
    session: SessionDep,
    principal: PrincipalDep,
    name: Annotated[str, Path(min_length=1, max_length=200, pattern=NOT_DIGITS_ALONE)],
    version: VersionQuery = None,
) -> ModelOut:
    """The version a call naming this model (and `version`, if given) gets."""
    return service.get_model_named(session, principal, name, version)


@router.post("/{model_id:int}/retire", response_model=ModelOut)
def retire_model(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    model_id: ModelId,
    body: RetireIn,
) -> ModelOut:
    """Admins: this version's calls are blocked from now on; it stays readable."""
    return retire.retire_model(session, services, principal, model_id, body)


@router.get("/{model_id:int}/clearance", response_model=ClearanceOut)
def get_clearance(session: SessionDep, principal: PrincipalDep, model_id: ModelId) -> ClearanceOut:
    return service.get_clearance(session, principal, model_id)


@router.post("/{model_id:int}/twins/{twin_id:int}/release", response_model=TwinOut)
def release_twin(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    model_id: ModelId,
    twin_id: ModelId,
    body: TwinReleaseIn,
) -> TwinOut:
    """Admins: this model no longer carries the clearance of `twin_id` (same weights)."""
    return twins.release_twin(session, services, principal, model_id, twin_id, body)
