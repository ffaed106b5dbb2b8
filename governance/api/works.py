"""`/v1/works`: thin endpoints, one service call each."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, status

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.openapi import ERROR_REF, WHY
from governance.api.params import MAX_ID, OneFile, WorkId, one_part, read_upload
from governance.works import disputes, matching, service, sightings, usage
from governance.works.schemas import (
    DisputeResolution,
    MatchResult,
    TermsHistory,
    TermsUpdate,
    WorkOut,
    WorkPage,
    WorkUsage,
)

router = APIRouter(prefix="/v1/works", tags=["works"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WorkOut)
def register_work(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    file: OneFile,
    metadata: Annotated[list[str] | None, Form()] = None,
) -> WorkOut:
    parsed = service.parse_metadata(one_part(metadata, "metadata"))
    data = read_upload(file, services.settings)
    return service.register_work(session, services, principal, data, parsed)


@router.get("", response_model=WorkPage)
def list_works(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> WorkPage:
    page = min(limit, services.settings.page_size_max)
    return service.list_works(session, principal, page, offset)


@router.post("/match", response_model=MatchResult)
def match_work(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    file: OneFile,
    limit: Annotated[int, Query()] = 10,
) -> MatchResult:
    data = read_upload(file, services.settings)
    return matching.match_file(session, services, data, limit)


@router.get("/{work_id:int}", response_model=WorkOut)
def get_work(
    session: SessionDep,
    principal: PrincipalDep,
    work_id: WorkId,
    at: Annotated[datetime | None, Query(description="terms in force at this time")] = None,
) -> WorkOut:
    return service.get_work(session, principal, work_id, at)


@router.put("/{work_id:int}/terms", response_model=WorkOut)
def change_terms(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    work_id: WorkId,
    body: TermsUpdate,
) -> WorkOut:
    return service.change_terms(session, services, principal, work_id, body.terms)


@router.get("/{work_id:int}/terms/history", response_model=TermsHistory)
def terms_history(session: SessionDep, principal: PrincipalDep, work_id: WorkId) -> TermsHistory:
    return service.terms_history(session, principal, work_id)


@router.get("/{work_id:int}/usage", response_model=WorkUsage)
def work_usage(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    work_id: WorkId,
    limit: Annotated[int, Query(ge=1, description="calls per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> WorkUsage:
    page = min(limit, services.settings.page_size_max)
    return usage.work_usage(session, principal, work_id, page, offset)


@router.get("/{work_id:int}/sightings", response_model=sightings.WorkSightings)
def work_sightings(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    work_id: WorkId,
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> sightings.WorkSightings:
    """Where the work was seen since registration, newest first: near copies of it in
    governed calls' outputs and in screened files, with the score, what was altered and
    where. Read as the work is: its holder, auditors and admins."""
    page = min(limit, services.settings.page_size_max)
    return sightings.work_sightings(session, principal, work_id, page, offset)


_RESOLVED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": WHY[409] + "; here: the work is not in dispute, or was resolved",
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }
}


@router.post("/{work_id:int}/dispute", response_model=WorkOut, responses=_RESOLVED)
def resolve_dispute(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    work_id: WorkId,
    body: DisputeResolution,
) -> WorkOut:
    """An admin resolves a disputed work: `upheld` (its terms bind from now on) or
    `rejected` (it stays registered, marked, and never binds)."""
    return disputes.resolve_dispute(session, services, principal, work_id, body)
