"""`/v1/audit`: checkpoints, entries, proofs and bundles for auditors and regulators."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.audit import bundle, service
from governance.audit.schemas import ConsistencyProof, EntryPage, InclusionProof, PublicKey

router = APIRouter(prefix="/v1/audit", tags=["audit"])


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
    start: Annotated[int, Query()] = 0,
    end: Annotated[int | None, Query(description="exclusive; default start + 100")] = None,
    subject: Annotated[str | None, Query(description="e.g. work:12")] = None,
) -> EntryPage:
    return service.entries(session, principal, start, end, subject)


@router.get("/proofs/inclusion", response_model=InclusionProof)
def inclusion_proof(
    session: SessionDep,
    principal: PrincipalDep,
    index: int,
    tree_size: Annotated[int | None, Query(description="default: newest checkpoint")] = None,
) -> InclusionProof:
    return service.inclusion(session, principal, index, tree_size)


@router.get("/proofs/consistency", response_model=ConsistencyProof, response_model_by_alias=True)
def consistency_proof(
    session: SessionDep,
    principal: PrincipalDep,
    old: Annotated[int, Query(alias="from")],
    new: Annotated[int | None, Query(alias="to", description="default: newest")] = None,
) -> ConsistencyProof:
    return service.consistency(session, principal, old, new)


@router.get("/export", response_class=Response)
def export(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    start: Annotated[int | None, Query(alias="from")] = None,
    end: Annotated[int | None, Query(alias="to")] = None,
    subject: str | None = None,
) -> Response:
    """The offline bundle as a zip (the same as `govern audit export`)."""
    data = bundle.export_zip(session, services, principal, start, end, subject)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="audit-bundle.zip"'},
    )
