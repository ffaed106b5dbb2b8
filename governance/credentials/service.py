"""What the label endpoints call: the published root, manifests, soft-binding matches."""

from sqlmodel import Session

from governance.auth.service import Principal
from governance.calls.models import ModelCall
from governance.calls.status import CallStatus, may_read_output
from governance.credentials import resolve
from governance.credentials.schemas import ManifestMatch, ManifestMatches
from governance.errors import Forbidden, ManifestNotFound
from governance.images import decode_for_analysis
from governance.services import Services


def ca_pem(services: Services) -> bytes:
    return services.signing.root_pem


def get_manifest(
    session: Session, services: Services, principal: Principal, manifest_id: str
) -> tuple[bytes, CallStatus]:
    """The manifest store and its call's status, to whom its output may be served: it is
    what the labelled file carries, so an unreleased output's manifest is as private as
    the output (and, like it, cached by no one)."""
    label = resolve.label_by_manifest(session, manifest_id)
    if label is None:
        raise ManifestNotFound(f"no manifest {manifest_id} was signed by this service")
    call = session.get(ModelCall, label.call_id)
    assert call is not None
    if not may_read_output(principal.role, call.status):
        raise Forbidden(f"the manifest of a {call.status} call is not released to {principal.role}")
    return services.blobs.get(label.manifest_store_sha256), call.status


def match_binding(
    session: Session, services: Services, principal: Principal, alg: str, value: str, limit: int
) -> ManifestMatches:
    found = resolve.served(
        session, principal.role, resolve.by_binding(session, services, alg, value)
    )
    return _matches(found, limit)


def match_content(
    session: Session, services: Services, principal: Principal, data: bytes, limit: int
) -> ManifestMatches:
    decoded = decode_for_analysis(data, services.settings)
    return _matches(resolve.by_content(session, services, decoded.image, principal.role), limit)


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


def _matches(found: list[resolve.Found], limit: int) -> ManifestMatches:
    """`found` holds only what the caller may be served (resolve.served)."""
    return ManifestMatches(matches=[match_out(f) for f in found[:limit]])
