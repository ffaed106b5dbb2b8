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

import hashlib
from dataclasses import asdict

import numpy as np
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
from governance.credentials.label_origin import label_origin
from governance.credentials.models import OutputLabel
from governance.credentials.report import (
    AiDisclosure,
    Check,
    Conformance,
    FileFacts,
    Fingerprint,
    ImplicitLabels,
    LabelOrigin,
    ManifestFacts,
    NoManifest,
    NoWatermark,
    RecoveredManifest,
    Regime,
    ServiceRecord,
    UnreadableManifest,
    VerifyReport,
    VisibleLabelSeen,
    WatermarkFound,
)
from governance.credentials.service import match_out
from governance.images import decode_for_analysis
from governance.services import Services
from labeling import conformance
from labeling.c2pa_read import ManifestReport, inspect
from labeling.conformance import AI_SOURCE_TYPES, discloses_ai, eu_art50, gb45438
from labeling.errors import ManifestReadError
from labeling.implicit import read_implicit


def verify(
    session: Session, services: Services, role: Role, data: bytes, name: str = ""
) -> VerifyReport:
    """The report for one file, as `role` may be served it; any key may ask."""
    # Every pixel read below is of a copy bounded by analysis_max_pixels; sizes reported
    # are the file's.
    decoded = decode_for_analysis(data, services.settings)
    anchors = services.c2pa_trust_anchors
    file_sha256 = hashlib.sha256(data).hexdigest()
    embedded, embedded_error = _inspect(data, decoded.media_type, anchors)
    implicit = read_implicit(decoded.image, data)
    rgb = np.asarray(decoded.image.convert("RGB"), dtype=np.uint8)
    detection, marked = resolve.by_watermark(session, services, rgb)
    by_watermark = resolve.served(session, role, marked)
    by_fingerprint = resolve.by_fingerprint(session, services, decoded.image, role=role)

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
            recovered, _ = _inspect(data, decoded.media_type, anchors, store)
    # What says AI, if anything does: a copy re-signed by someone else as a photograph is
    # still the output the service's own manifest (found by the watermark) calls AI-made.
    disclosing = [m for m in (embedded, recovered) if m and discloses_ai(m.digital_source_types)]
    manifest = disclosing[0] if disclosing else embedded or recovered
    source_types = manifest.digital_source_types if manifest else []
    implicit_ai = implicit.digital_source_type in AI_SOURCE_TYPES or (
        implicit.aigc is not None
        and not implicit.aigc_problems
        and implicit.aigc.get("Label") == "1"
    )
    # Only the service's own record says what was drawn: any manifest can claim a label.
    visible = None
    if found is not None and found.by != "fingerprint":
        visible = _visible_in(found.label, decoded.width, decoded.height)
    origin = label_origin(
        session,
        services,
        role,
        implicit.aigc,
        file_sha256=file_sha256,
        watermark_id=detection.watermark_id if detection else None,
        image=decoded.image,
    )
    return VerifyReport(
        file=FileFacts(
            name=name,
            sha256=file_sha256,
            bytes=len(data),
            media_type=decoded.media_type,
            width=decoded.width,
            height=decoded.height,
        ),
        c2pa=_manifest_facts(embedded, embedded_error),
        ai_disclosure=AiDisclosure(
            ai_made=discloses_ai(source_types) or implicit_ai,
            digital_source_types=source_types,
            software_agents=manifest.software_agents if manifest else [],
            disclosed_by=_disclosed_by(manifest, embedded, discloses_ai(source_types)),
            implicit_labels_say_ai=implicit_ai,
        ),
        training_mining=manifest.training_mining if manifest else {},
        implicit_labels=ImplicitLabels(
            tc260_aigc=implicit.aigc,
            problems=implicit.aigc_problems,
            digital_source_type=implicit.digital_source_type,
            origin=origin,
        ),
        visible_label=visible,
        watermark=WatermarkFound(**asdict(detection)) if detection else NoWatermark(),
        fingerprint=Fingerprint(matches=[match_out(f) for f in by_fingerprint]),
        record=_service_record(session, found, embedded, recovered, ours, file_sha256),
        conformance=Conformance(
            eu_ai_act_art50=_regime(
                eu_art50(
                    manifest_state=embedded.state if embedded else None,
                    source_types=embedded.digital_source_types if embedded else [],
                    watermark_found=detection is not None,
                )
            ),
            gb_45438_2025=_regime(
                gb45438(
                    aigc=implicit.aigc,
                    aigc_problems=implicit.aigc_problems,
                    visible=visible.model_dump() if visible else None,
                    width=decoded.width,
                    height=decoded.height,
                    origin=_origin_check(origin),
                )
            ),
        ),
    )


def _inspect(
    data: bytes, media_type: str, anchors: str, store: bytes | None = None
) -> tuple[ManifestReport | None, str | None]:
    try:
        return inspect(data, media_type, anchors, manifest_store=store), None
    except ManifestReadError as exc:
        return None, str(exc)


def _manifest_facts(
    report: ManifestReport | None, error: str | None
) -> ManifestFacts | UnreadableManifest | NoManifest:
    if error is not None:
        code = {
            "code": "manifest.unreadable",
            "kind": "failure",
            "explanation": f"the file carries C2PA data that cannot be read: {error}",
        }
        return UnreadableManifest(codes=[code])
    if report is None:
        return NoManifest()
    return ManifestFacts(**asdict(report))


def _regime(regime: conformance.Regime) -> Regime:
    return Regime.model_validate(regime.to_json())


def _origin_check(origin: LabelOrigin | None) -> conformance.Check | None:
    """The label's origin as a conformance finding; another producer's label is judged
    by its fields alone, as the service has nothing to say of it."""
    if origin is None or origin.verdict == "other_producer":
        return None
    return conformance.Check("label_origin", origin.verdict == "this_file", origin.detail)


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


def _disclosed_by(
    manifest: ManifestReport | None, embedded: ManifestReport | None, says_ai: bool
) -> str | None:
    if manifest is None or not says_ai:
        return None
    return "embedded manifest" if manifest is embedded else "manifest kept by the service"


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
    checks = [
        Check(
            name="call_entry",
            passed=call is not None
            and call.call_id == label.call_id
            and call.output_sha256 == label.output_sha256,
            detail=f"audit entry {label.call_audit_index} records call {label.call_id} and "
            "the output's SHA-256",
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
