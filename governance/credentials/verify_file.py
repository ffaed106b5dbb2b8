"""Verifying any file: its C2PA state, AI disclosure, implicit labels, soft bindings, the
service's own record of it, and conformance to the EU and Chinese labelling rules.

Nothing here raises for what a file says about itself: an untrusted signer, altered
pixels, a corrupt manifest or stripped metadata are findings of the report. Only a
file that is not an image the service reads is refused (4xx).
"""

import hashlib
import json
from dataclasses import asdict
from typing import Any

import numpy as np
from sqlmodel import Session, select

from governance.audit.models import AuditEntry
from governance.credentials import resolve
from governance.credentials.models import OutputLabel
from governance.credentials.service import match_out
from governance.images import decode_image
from governance.services import Services
from labeling.c2pa_read import ManifestReport, inspect
from labeling.conformance import AI_SOURCE_TYPES, discloses_ai, eu_art50, gb45438
from labeling.errors import ManifestReadError
from labeling.implicit import read_implicit


def verify(session: Session, services: Services, data: bytes, name: str = "") -> dict[str, Any]:
    """The report for one file; any key may ask (the endpoint has authenticated it)."""
    decoded = decode_image(data, services.settings)
    anchors = services.c2pa_trust_anchors
    file_sha256 = hashlib.sha256(data).hexdigest()
    embedded, embedded_error = _inspect(data, decoded.media_type, anchors)
    implicit = read_implicit(decoded.image, data)
    rgb = np.asarray(decoded.image.convert("RGB"), dtype=np.uint8)
    detection, by_watermark = resolve.by_watermark(session, rgb)
    by_fingerprint = resolve.by_fingerprint(session, services, decoded.image)

    found = _record(session, embedded, by_watermark, by_fingerprint)
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
    return {
        "file": {
            "name": name,
            "sha256": file_sha256,
            "bytes": len(data),
            "media_type": decoded.media_type,
            "width": decoded.width,
            "height": decoded.height,
        },
        "c2pa": _manifest_json(embedded, embedded_error),
        "ai_disclosure": {
            "ai_made": discloses_ai(source_types) or implicit_ai,
            "digital_source_types": source_types,
            "software_agents": manifest.software_agents if manifest else [],
            "from": _disclosed_by(manifest, embedded, discloses_ai(source_types)),
            "implicit_labels_say_ai": implicit_ai,
        },
        "training_mining": manifest.training_mining if manifest else {},
        "implicit_labels": {
            "tc260_aigc": implicit.aigc,
            "problems": implicit.aigc_problems,
            "digital_source_type": implicit.digital_source_type,
        },
        "visible_label": visible,
        "watermark": ({"found": True, **asdict(detection)} if detection else {"found": False}),
        "fingerprint": {
            "matches": [match_out(f).model_dump(by_alias=True) for f in by_fingerprint]
        },
        "record": _record_json(session, found, embedded, recovered, ours, file_sha256),
        "conformance": {
            "eu_ai_act_art50": eu_art50(
                manifest_state=embedded.state if embedded else None,
                source_types=embedded.digital_source_types if embedded else [],
                watermark_found=detection is not None,
            ).to_json(),
            "gb_45438_2025": gb45438(
                aigc=implicit.aigc,
                aigc_problems=implicit.aigc_problems,
                visible=visible,
                width=decoded.width,
                height=decoded.height,
            ).to_json(),
        },
    }


def _inspect(
    data: bytes, media_type: str, anchors: str, store: bytes | None = None
) -> tuple[ManifestReport | None, str | None]:
    try:
        return inspect(data, media_type, anchors, manifest_store=store), None
    except ManifestReadError as exc:
        return None, str(exc)


def _manifest_json(report: ManifestReport | None, error: str | None) -> dict[str, Any]:
    if error is not None:
        return {
            "present": True,
            "state": "Invalid",
            "codes": [
                {
                    "code": "manifest.unreadable",
                    "kind": "failure",
                    "explanation": f"the file carries C2PA data that cannot be read: {error}",
                }
            ],
        }
    if report is None:
        return {"present": False, "state": None, "codes": []}
    return {"present": True, **asdict(report)}


def _record(
    session: Session,
    embedded: ManifestReport | None,
    by_watermark: list[resolve.Found],
    by_fingerprint: list[resolve.Found],
) -> resolve.Found | None:
    """The service's label for this file: by its manifest, else its watermark, else its
    fingerprint (the weakest: a near-duplicate of an output is reported as such)."""
    if embedded is not None and embedded.manifest_id:
        label = resolve.label_by_manifest(session, embedded.manifest_id)
        if label is not None:
            return resolve.Found(label, "manifest", 1.0)
    if by_watermark:
        return by_watermark[0]
    return by_fingerprint[0] if by_fingerprint else None


def _entry_says(session: Session, index: int | None, kind: str, **data: Any) -> bool:
    """Whether audit entry `index` is of `kind` and its data holds these values."""
    if index is None:
        return False
    row = session.exec(select(AuditEntry).where(AuditEntry.idx == index)).first()
    if row is None:
        return False
    entry = json.loads(row.entry)
    return bool(
        entry.get("kind") == kind
        and all(entry.get("data", {}).get(key) == value for key, value in data.items())
    )


def _disclosed_by(
    manifest: ManifestReport | None, embedded: ManifestReport | None, says_ai: bool
) -> str | None:
    if manifest is None or not says_ai:
        return None
    return "embedded manifest" if manifest is embedded else "manifest kept by the service"


def _visible_in(label: OutputLabel, width: int, height: int) -> dict[str, Any] | None:
    """The visible label the service drew, if this file can still show it: a scaled copy
    keeps it; a copy of another shape may have been cropped, so it is not confirmed."""
    drawn = label.details.get("visible_label")
    if not drawn:
        return None
    out_w, out_h = drawn.get("output_size") or (width, height)
    same_shape = abs(width * out_h - height * out_w) <= 0.01 * out_w * out_h
    return {**drawn, "confirmed_in_this_file": same_shape}


def _record_json(
    session: Session,
    found: resolve.Found | None,
    embedded: ManifestReport | None,
    recovered: ManifestReport | None,
    ours: bool,
    file_sha256: str,
) -> dict[str, Any] | None:
    if found is None:
        return None
    label = found.label
    if found.by == "fingerprint":
        return {
            **match_out(found).model_dump(by_alias=True),
            "identical_to_output": file_sha256 == label.output_sha256,
            "recovered_manifest": None,
            # Looking like an output is no claim to check against the log.
            "agrees_with_audit_log": None,
            "checks": [],
        }
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
        checks.append(
            _check(
                "embedded_manifest_is_the_services", ours and embedded.state != "Invalid", detail
            )
        )
    return {
        **match_out(found).model_dump(by_alias=True),
        "identical_to_output": file_sha256 == label.output_sha256,
        "recovered_manifest": (
            {k: v for k, v in asdict(recovered).items() if k in ("state", "manifest_id", "codes")}
            if recovered
            else None
        ),
        "agrees_with_audit_log": all(c["passed"] for c in checks),
        "checks": checks,
    }


def _agreement(
    session: Session, label: OutputLabel, manifest: ManifestReport | None
) -> list[dict[str, Any]]:
    checks = [
        _check(
            "call_entry",
            _entry_says(
                session,
                label.call_audit_index,
                "call.recorded",
                call_id=label.call_id,
                output_sha256=label.output_sha256,
            ),
            f"audit entry {label.call_audit_index} records call {label.call_id} and the "
            "output's SHA-256",
        ),
        _check(
            "label_entry",
            _entry_says(
                session,
                label.audit_index,
                "output.labelled",
                manifest_id=label.manifest_id,
                watermark_id=label.watermark_id,
            ),
            f"audit entry {label.audit_index} records manifest {label.manifest_id} and its "
            "watermark",
        ),
    ]
    if manifest is not None and manifest.provenance is not None:
        provenance = manifest.provenance
        checks.append(
            _check(
                "manifest_names_record",
                provenance.get("call_id") == label.call_id
                and provenance.get("audit_index") == label.call_audit_index,
                f"the manifest names call {provenance.get('call_id')} and audit entry "
                f"{provenance.get('audit_index')}",
            )
        )
    return checks


def _check(name: str, passed: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": passed, "detail": detail}
