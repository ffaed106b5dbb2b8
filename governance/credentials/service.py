"""What the label endpoints call: the published root, manifests, soft-binding matches."""

from sqlmodel import Session, col, select

from governance.auth.service import Principal
from governance.calls.models import ModelCall
from governance.calls.status import CallStatus, may_read_output
from governance.credentials import resolve
from governance.credentials.schemas import ManifestMatch, ManifestMatches
from governance.errors import Forbidden, ManifestNotFound
from governance.images import decode_image
from governance.services import Services


def ca_pem(services: Services) -> bytes:
    return services.signing.root_pem


def get_manifest(
    session: Session, services: Services, principal: Principal, manifest_id: str
) -> bytes:
    """The manifest store, to whom its output may be served: it is what the labelled
    file carries, so an unreleased output's manifest is as private as the output."""
    label = resolve.label_by_manifest(session, manifest_id)
    if label is None:
        raise ManifestNotFound(f"no manifest {manifest_id} was signed by this service")
    call = session.get(ModelCall, label.call_id)
    assert call is not None
    if not may_read_output(principal.role, call.status):
        raise Forbidden(f"the manifest of a {call.status} call is not released to {principal.role}")
    return services.blobs.get(label.manifest_store_sha256)


def match_binding(
    session: Session, services: Services, principal: Principal, alg: str, value: str, limit: int
) -> ManifestMatches:
    found = resolve.by_binding(session, services, alg, value)
    return _matches(session, principal, found, limit)


def match_content(
    session: Session, services: Services, principal: Principal, data: bytes, limit: int
) -> ManifestMatches:
    decoded = decode_image(data, services.settings)
    return _matches(session, principal, resolve.by_content(session, services, decoded.image), limit)


def match_out(found: resolve.Found) -> ManifestMatch:
    label = found.label
    return ManifestMatch(
        manifest_id=label.manifest_id,
        similarity_score=found.score,
        found_by=found.by,
        call_id=label.call_id,
        manifest_url=f"/v1/manifests/{label.manifest_id}",
        call_url=f"/v1/calls/{label.call_id}",
    )


def _matches(
    session: Session, principal: Principal, found: list[resolve.Found], limit: int
) -> ManifestMatches:
    """Only the manifests of outputs this caller may be served, as for the outputs."""
    call_ids = {f.label.call_id for f in found}
    statuses = dict(
        session.exec(
            select(ModelCall.id, ModelCall.status).where(col(ModelCall.id).in_(call_ids))
        ).all()
    )
    visible = [
        f
        for f in found
        if f.label.call_id in statuses
        and may_read_output(principal.role, CallStatus(statuses[f.label.call_id]))
    ]
    return ManifestMatches(matches=[match_out(f) for f in visible[:limit]])
