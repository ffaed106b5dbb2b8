"""Verifying any file: its C2PA state, AI disclosure, implicit labels, soft bindings, the
service's own record of it, and conformance to the EU and Chinese labelling rules.

Nothing here raises for what a file says about itself: an untrusted signer, altered
pixels, a corrupt manifest or stripped metadata are findings of the report. Only a
file that is not an image the service reads is refused (4xx). The report's schema,
and its version, are in report.py.

What the file says of itself (its embedded manifest, its XMP, whether it carries a
watermark) is reported to anyone; what the service's records say of it only as far as
the caller may be served the output concerned (`resolve.served`): an output withheld
from this caller is, in this report, as if the service had none.
"""

from sqlmodel import Session

from governance.audit.entries import (
    CallRecorded,
    D,
    OutputLabelled,
    UnreadableEntry,
    VisibleLabel,
)
from governance.audit.log import read_entry
from governance.auth.models import Role
from governance.credentials import resolve
from governance.credentials.file_read import assemble, inspect_manifest, read_file
from governance.credentials.label_origin import label_origin
from governance.credentials.models import OutputLabel
from governance.credentials.release import first_label_of, review_checks
from governance.credentials.report import (
    Check,
    RecoveredManifest,
    ServiceRecord,
    VerifyReport,
    VisibleLabelSeen,
)
from governance.credentials.report_html import report_html
from governance.credentials.service import match_out
from governance.services import Services
from labeling.c2pa_read import ManifestReport
from labeling.watermark import WATERMARK_ALG


def verify(
    session: Session, services: Services, role: Role, data: bytes, name: str = ""
) -> VerifyReport:
    """The report for one file, as `role` may be served it; any key may ask."""
    read = read_file(data, services.settings, services.c2pa_trust_anchors)
    embedded, detection = read.embedded, read.detection
    marked = (
        resolve.by_binding(session, services, WATERMARK_ALG, detection.watermark_id)
        if detection
        else []
    )
    by_watermark = resolve.served(session, role, marked)
    image = read.decoded.image
    by_fingerprint = resolve.by_fingerprint(session, services, image, role=role)

    found = _record(session, role, embedded, by_watermark, by_fingerprint)
    recovered: ManifestReport | None = None
    ours = False  # the file carries, verbatim, the manifest this service signed
    if found is not None and found.by != "fingerprint":
        store = services.blobs.get(found.label.manifest_store_sha256)
        # The signed store in the file, byte for byte: a manifest that merely reuses our
        # manifest id or call assertion under another signature is not ours.
        ours = embedded is not None and store in data
        if not ours:
            # The file lost its manifest (or carries another): check it against the one
            # signed. A fingerprint alone only says "looks like" an output (the damaged
            # input of a restoration does too), so it recovers nothing.
            recovered, _ = inspect_manifest(data, read.decoded.media_type, read.anchors, store)
    # Only the service's own record says what was drawn: any manifest can claim a label.
    visible = None
    if found is not None and found.by != "fingerprint":
        visible = _visible_in(found.label, read.decoded.width, read.decoded.height)
    origin = label_origin(
        session,
        services,
        role,
        read.implicit.aigc,
        file_sha256=read.sha256,
        watermark_id=detection.watermark_id if detection else None,
        image=image,
    )
    return assemble(
        read,
        name,
        recovered=recovered,
        visible=visible,
        origin=origin,
        matches=[match_out(f) for f in by_fingerprint],
        record=_service_record(session, services, found, embedded, recovered, ours, read.sha256),
    )


def verify_page(
    session: Session, services: Services, role: Role, data: bytes, name: str = ""
) -> str:
    """The same report as a printable HTML page (`POST /v1/verify/report.html`)."""
    return report_html(verify(session, services, role, data, name))


def _record(
    session: Session,
    role: Role,
    embedded: ManifestReport | None,
    by_watermark: list[resolve.Found],
    by_fingerprint: list[resolve.Found],
) -> resolve.Found | None:
    """The service's label for this file, among those `role` may be served: by its
    manifest, else its watermark, else its fingerprint (the weakest: a near-duplicate of
    an output is reported as such)."""
    if embedded is not None and embedded.manifest_id:
        label = resolve.served_label(session, role, embedded.manifest_id)
        if label is not None:
            return resolve.Found(label, "manifest", 1.0)
    if by_watermark:
        return by_watermark[0]
    return by_fingerprint[0] if by_fingerprint else None


def _entry(session: Session, index: int | None, model: type[D]) -> D | None:
    """The data of audit entry `index` if it is a readable entry of `model`'s kind."""
    if index is None:
        return None
    try:
        entry = read_entry(session, index, model)
    except UnreadableEntry:
        return None  # another kind, or not its schema: it records nothing to agree with
    return entry.data if entry else None


def _visible_in(label: OutputLabel, width: int, height: int) -> VisibleLabelSeen | None:
    """The visible label the service drew, if this file can still show it: a scaled copy
    keeps it; a copy of another shape may have been cropped, so it is not confirmed."""
    stored = label.details.get("visible_label")
    if not stored:
        return None
    # A label recorded before its output's size was kept is taken to fit this file, as
    # reports did then.
    drawn = VisibleLabel.model_validate({"output_size": [width, height], **stored})
    out_w, out_h = drawn.output_size
    same_shape = abs(width * out_h - height * out_w) <= 0.01 * out_w * out_h
    return VisibleLabelSeen(**drawn.model_dump(), confirmed_in_this_file=same_shape)


def _service_record(
    session: Session,
    services: Services,
    found: resolve.Found | None,
    embedded: ManifestReport | None,
    recovered: ManifestReport | None,
    ours: bool,
    file_sha256: str,
) -> ServiceRecord | None:
    if found is None:
        return None
    label = found.label
    match = match_out(found).model_dump()
    if found.by == "fingerprint":
        return ServiceRecord(
            **match,
            identical_to_output=file_sha256 == label.output_sha256,
            recovered_manifest=None,
            # Looking like an output is no claim to check against the log.
            agrees_with_audit_log=None,
            checks=[],
        )
    checks = _agreement(session, label, embedded if ours else recovered)
    checks += review_checks(session, services, label)
    if embedded is not None:
        if ours and embedded.state != "Invalid":
            detail = f"the file carries the manifest the service signed ({label.manifest_id})"
        elif ours:
            detail = (
                f"the file carries the manifest the service signed ({label.manifest_id}), "
                "but the file changed after signing"
            )
        else:
            detail = (
                f"the file carries another manifest ({embedded.manifest_id}, signed by "
                f"{embedded.signer.get('issuer') or 'an unknown issuer'}), not the service's "
                f"{label.manifest_id}"
            )
        passed = ours and embedded.state != "Invalid"
        checks.append(Check(name="embedded_manifest_is_the_services", passed=passed, detail=detail))
    return ServiceRecord(
        **match,
        identical_to_output=file_sha256 == label.output_sha256,
        recovered_manifest=(
            RecoveredManifest(
                state=recovered.state, manifest_id=recovered.manifest_id, codes=recovered.codes
            )
            if recovered
            else None
        ),
        agrees_with_audit_log=all(c.passed for c in checks),
        checks=checks,
    )


def _agreement(
    session: Session, label: OutputLabel, manifest: ManifestReport | None
) -> list[Check]:
    call = _entry(session, label.call_audit_index, CallRecorded)
    labelled = _entry(session, label.audit_index, OutputLabelled)
    # A released output is the call's first labelled file signed again: the call's entry
    # names that first file (release.py; the review checks cover the rest).
    first = first_label_of(session, label.call_id)
    checks = [
        Check(
            name="call_entry",
            passed=call is not None
            and call.call_id == label.call_id
            and call.output_sha256 == first.output_sha256,
            detail=f"audit entry {label.call_audit_index} records call {label.call_id} and "
            "the output's SHA-256"
            + ("" if first is label else f" as labelled first ({first.manifest_id})"),
        ),
        Check(
            name="label_entry",
            passed=labelled is not None
            and labelled.manifest_id == label.manifest_id
            and labelled.watermark_id == label.watermark_id,
            detail=f"audit entry {label.audit_index} records manifest {label.manifest_id} and "
            "its watermark",
        ),
    ]
    if manifest is not None and manifest.provenance is not None:
        provenance = manifest.provenance
        checks.append(
            Check(
                name="manifest_names_record",
                passed=provenance.get("call_id") == label.call_id
                and provenance.get("audit_index") == label.call_audit_index,
                detail=f"the manifest names call {provenance.get('call_id')} and audit entry "
                f"{provenance.get('audit_index')}",
            )
        )
    return checks
