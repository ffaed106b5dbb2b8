"""Releasing a reviewed output: its pixels signed again under a manifest that names the
review, kept as a label of the call like any other (a row and an `output.labelled`
entry), and what verification says of a call's review.

The released label keeps the output's fingerprint; its watermark id is left on the
pending label alone (`output_labels.watermark_id` is unique), and a look-up by watermark
answers the release first (`resolve.by_binding`).
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from governance.audit.entries import LabelDetails, UnreadableEntry, parse_entry_as
from governance.audit.entries_reports import ReviewDecided
from governance.audit.models import AuditEntry
from governance.blobs import keep_blob
from governance.calls.models import ModelCall
from governance.credentials.draft import LabelDraft
from governance.credentials.models import OutputLabel
from governance.credentials.record import record_label
from governance.credentials.report import Check
from governance.services import Services
from labeling.c2pa_manifest import PROJECT_ASSERTION, SoftBinding, new_manifest_id
from labeling.c2pa_read import read_c2pa_manifest
from labeling.c2pa_release import ReviewRecord, release_manifest, review_assertion, sign_release
from labeling.errors import ManifestReadError


@dataclass(frozen=True)
class SignedRelease:
    output_sha256: str
    manifest_store_sha256: str
    draft: LabelDraft


def label_of(session: Session, call_id: int) -> OutputLabel | None:
    """The call's newest label: the released one once released, else the pending one."""
    query = (
        select(OutputLabel)
        .where(OutputLabel.call_id == call_id)
        .order_by(col(OutputLabel.id).desc())
    )
    return session.exec(query).first()


def first_label_of(session: Session, call_id: int) -> OutputLabel:
    """The label the call was recorded with (the pending one, for a released call)."""
    query = select(OutputLabel).where(OutputLabel.call_id == call_id).order_by(col(OutputLabel.id))
    found = session.exec(query).first()
    assert found is not None, f"call {call_id} has no label"
    return found


def sign_release_of(
    session: Session, services: Services, call: ModelCall, review: ReviewRecord
) -> SignedRelease:
    """The pending output signed again, kept as a blob (if the request commits). Raises
    labeling.c2pa_sign.SigningError (TimestampError) when it cannot be signed."""
    assert call.id is not None and call.output_sha256 is not None
    pending = label_of(session, call.id)
    assert pending is not None, f"call {call.id} keeps an output but has no label"
    data = services.blobs.get(call.output_sha256)
    details = LabelDetails.model_validate(pending.details)
    manifest = release_manifest(
        manifest_id=new_manifest_id(),
        title=f"{call.kind} {call.id}, released after review",
        digital_source_type=details.digital_source_type,
        review=review,
        provenance=_provenance(data),
        soft_bindings=[SoftBinding(b.alg, b.value) for b in details.soft_bindings],
        training_mining=details.training_mining or None,
    )
    signed = sign_release(
        data,
        manifest,
        services.signing.signer,
        parent_title=f"{call.kind} {call.id} as labelled ({pending.manifest_id})",
        trust_anchors_pem=services.c2pa_trust_anchors,
    )
    approvals = ", ".join(f"entry {d.audit_index}" for d in review.decisions)
    note = (
        f"released after review ({approvals}): signed again with the pending output, "
        f"manifest {pending.manifest_id}, as its parent ingredient"
    )
    draft = LabelDraft(
        manifest_id=manifest["label"],
        # Unique per label: the pending label keeps it, and the watermark look-up
        # answers this release first.
        watermark_id=None,
        phash=pending.phash,
        dhash=pending.dhash,
        manifest_store=signed.manifest_store,
        call_audit_index=pending.call_audit_index,
        details=details.model_copy(update={"notes": [*details.notes, note]}),
    )
    return SignedRelease(
        output_sha256=keep_blob(session, services.blobs, signed.data),
        manifest_store_sha256=hashlib.sha256(signed.manifest_store).hexdigest(),
        draft=draft,
    )


def record_release(
    session: Session, services: Services, actor: str, call_id: int, release: SignedRelease
) -> OutputLabel:
    """The released label's row and its `output.labelled` entry."""
    return record_label(session, services, actor, call_id, release.output_sha256, release.draft)


def _provenance(data: bytes) -> dict[str, object] | None:
    """The call assertion of the pending output's own manifest, repeated on release."""
    try:
        read = read_c2pa_manifest(data, "image/png")
    except ManifestReadError:
        return None
    for assertion in read.assertions if read else []:
        if str(assertion.get("label", "")).startswith(PROJECT_ASSERTION):
            found = assertion.get("data")
            return dict(found) if isinstance(found, dict) else None
    return None


def review_checks(session: Session, services: Services, label: OutputLabel) -> list[Check]:
    """What the log's `review.decided` entries say of the call's review, and, for a
    released label, whether its manifest names the same approvals and report."""
    decided = decisions_of(session, label.call_id)
    if not decided:
        return []
    call = session.get(ModelCall, label.call_id)
    assert call is not None
    words = "; ".join(
        f"{d.decision} by {d.reviewer} (key {d.reviewer_key_id}, review.decided entry "
        f"{index}) on report sha256 {d.report_sha256}"
        for index, d in decided
    )
    # The log and the call's row agree on where the review stands.
    agrees = decided[-1][1].status == call.status.value
    checks = [Check(name="review", passed=agrees, detail=f"{call.status}: {words}")]
    named = _named_review(services, label)
    if named is not None:
        approvals = [(i, d) for i, d in decided if d.decision == "approve"]
        listed = [
            (d.get("reviewer"), d.get("reviewer_key_id"), d.get("audit_index"), d.get("decision"))
            for d in named.get("decisions") or []
            if isinstance(d, dict)
        ]
        expected = [(d.reviewer, d.reviewer_key_id, i, d.decision) for i, d in approvals]
        releasing = approvals[-1][1] if approvals else None
        passed = (
            listed == expected
            and named.get("call_id") == label.call_id
            and releasing is not None
            and releasing.released is not None
            and releasing.released.manifest_id == label.manifest_id
            and named.get("report_sha256") == releasing.report_sha256
        )
        checks.append(
            Check(
                name="manifest_names_review",
                passed=passed,
                detail=f"the release manifest {label.manifest_id} names the approvals of "
                f"entries {[i for _, _, i, _ in listed]} and report sha256 "
                f"{named.get('report_sha256')}",
            )
        )
    return checks


def decisions_of(session: Session, call_id: int) -> list[tuple[int, ReviewDecided]]:
    """The call's `review.decided` entries, in log order, with their indexes."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.kind == ReviewDecided.entry_kind, AuditEntry.subject == f"call:{call_id}")
        .order_by(col(AuditEntry.idx))
    )
    found = []
    for row in session.exec(query):
        try:
            found.append((row.idx, parse_entry_as(row.entry, ReviewDecided).data))
        except UnreadableEntry:
            continue  # not of its schema: it records nothing to report
    return found


def _named_review(services: Services, label: OutputLabel) -> dict[str, Any] | None:
    """The review assertion of the label's signed store, if it has one (a release)."""
    store = services.blobs.get(label.manifest_store_sha256)
    try:
        read = read_c2pa_manifest(store, "application/c2pa")
    except ManifestReadError:
        return None
    return review_assertion(read.assertions) if read else None
