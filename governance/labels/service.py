"""What the label endpoints call: the published root, manifests, soft-binding matches."""

from sqlmodel import Session

from governance.auth.service import Principal
from governance.images import decode_image
from governance.labels import resolve
from governance.labels.schemas import ManifestMatch, ManifestMatches
from governance.services import Services


def ca_pem(services: Services) -> bytes:
    return services.signing.root_pem


def get_manifest(
    session: Session, services: Services, principal: Principal, manifest_id: str
) -> bytes:
    del principal  # any key: the manifest is what the labelled file itself carries
    return resolve.manifest_store(session, services, manifest_id)


def match_binding(
    session: Session, principal: Principal, alg: str, value: str, limit: int
) -> ManifestMatches:
    del principal
    return _matches(resolve.by_binding(session, alg, value)[:limit])


def match_content(
    session: Session, services: Services, principal: Principal, data: bytes, limit: int
) -> ManifestMatches:
    del principal
    decoded = decode_image(data, services.settings)
    return _matches(resolve.by_content(session, services, decoded.image)[:limit])


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


def _matches(found: list[resolve.Found]) -> ManifestMatches:
    return ManifestMatches(matches=[match_out(f) for f in found])
