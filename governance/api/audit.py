"""`/v1/audit`: checkpoints, entries, proofs and bundles for auditors and regulators."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.params import MAX_INDEX
from governance.audit import bundle, service
from governance.audit.schemas import ConsistencyProof, EntryPage, InclusionProof, PublicKey

router = APIRouter(prefix="/v1/audit", tags=["audit"])
# Subjects are "<kind>:<id>"; printable ASCII only, so no database chokes on them.
SUBJECT = r"^[\x21-\x7e]{1,100}$"


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(session: SessionDep, services: ServicesDep, principal: PrincipalDep) -> str:
    """The newest signed checkpoint (C2SP signed note)."""
    return service.checkpoint_note(session, services, principal)


@router.get("/key", response_model=PublicKey)
def key(services: ServicesDep) -> PublicKey:
    """The public key that signs checkpoints; public, so that anyone can pin it."""
    return service.public_key(services)


@router.get("/entries", response_model=EntryPage)
def entries(
    session: SessionDep,
    principal: PrincipalDep,
    start: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    end: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="exclusive; default start + 100")
    ] = None,
    subject: Annotated[str | None, Query(description="e.g. work:12", pattern=SUBJECT)] = None,
) -> EntryPage:
    return service.entries(session, principal, start, end, subject)


@router.get("/proofs/inclusion", response_model=InclusionProof)
def inclusion_proof(
    session: SessionDep,
    principal: PrincipalDep,
    index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    tree_size: Annotated[
        int | None, Query(ge=0, le=MAX_INDEX, description="default: newest checkpoint")
    ] = None,
) -> InclusionProof:
    return service.inclusion(session, principal, index, tree_size)


@router.get("/proofs/consistency", response_model=ConsistencyProof, response_model_by_alias=True)
def consistency_proof(
    session: SessionDep,
    principal: PrincipalDep,
    old: Annotated[int, Query(alias="from", ge=0, le=MAX_INDEX)],
    new: Annotated[
        int | None, Query(alias="to", ge=0, le=MAX_INDEX, description="default: newest")
    ] = None,
) -> ConsistencyProof:
    return service.consistency(session, principal, old, new)


@router.get("/export", response_class=Response)
def export(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    start: Annotated[int | None, Query(alias="from", ge=0, le=MAX_INDEX)] = None,
    end: Annotated[int | None, Query(alias="to", ge=0, le=MAX_INDEX)] = None,
    subject: Annotated[str | None, Query(pattern=SUBJECT)] = None,
) -> Response:
    """The offline bundle as a zip (the same as `govern audit export`)."""
    data = bundle.export_zip(session, services, principal, start, end, subject)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="audit-bundle.zip"'},
    )
