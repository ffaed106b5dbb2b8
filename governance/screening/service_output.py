"""Is a file an output this service labelled? The credentials domain's own look-ups, in
the order `POST /v1/verify` trusts them: the manifest the service signed, carried
verbatim; else the watermark; else the fingerprint (which only says "looks like": a
restoration's own input does too). Only outputs the key may be served count
(`credentials.resolve.served`): one withheld from it is, here, as if there were none.
"""

import hashlib

from PIL import Image
from sqlmodel import Session

from governance.auth.models import Role
from governance.credentials import resolve
from governance.credentials.file_read import inspect_manifest
from governance.screening.schemas import ServiceOutput
from governance.services import Services
from labeling.watermark import WATERMARK_ALG, Detection


def service_output(
    session: Session,
    services: Services,
    role: Role,
    data: bytes,
    media_type: str,
    image: Image.Image,
    watermark: Detection | None,
) -> ServiceOutput | None:
    """`watermark` is what `labeling.watermark.detect` found in the file's pixels (the
    caller searches for it while it does other work: the search is the look-up's cost)."""
    found = _by_manifest(session, services, role, data, media_type)
    if found is None and watermark is not None:
        marked = resolve.by_binding(session, services, WATERMARK_ALG, watermark.watermark_id)
        served = resolve.served(session, role, marked)
        found = served[0] if served else None
    if found is None:
        near = resolve.by_fingerprint(session, services, image, limit=1, role=role)
        found = near[0] if near else None
    if found is None:
        return None
    label = found.label
    return ServiceOutput(
        found_by=found.by,
        score=found.score,
        manifest_id=label.manifest_id,
        call_id=label.call_id,
        identical_to_output=hashlib.sha256(data).hexdigest() == label.output_sha256,
        manifest_url=f"/v1/manifests/{label.manifest_id}",
        call_url=f"/v1/calls/{label.call_id}",
    )


def _by_manifest(
    session: Session, services: Services, role: Role, data: bytes, media_type: str
) -> resolve.Found | None:
    """The label whose signed store the file carries byte for byte: a manifest that only
    reuses one of our manifest ids under another signature names nothing."""
    embedded, _ = inspect_manifest(data, media_type, services.c2pa_trust_anchors)
    if embedded is None or not embedded.manifest_id:
        return None
    label = resolve.served_label(session, role, embedded.manifest_id)
    if label is None:
        return None
    try:
        store = services.blobs.get(label.manifest_store_sha256)
    except OSError:
        return None  # a data dir copied without its files: the watermark still finds it
    if store not in data:
        return None
    return resolve.Found(label, "manifest", 1.0)
