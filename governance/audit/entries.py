"""What the audit log records: one schema per entry kind, each with its own version.

An entry's data states `schema_version`, so a reader years later knows which schema it
follows; a change to a kind's keys or their meaning is a new version of that kind.
Entries written before versions were stated follow version 1 of their kind: the
version defaults to 1 when a stored entry does not state it. Every other key is
required and no other key is allowed, so a stored entry either parses as its kind or
is reported as unreadable.

Nothing here touches the database: an outside verifier can parse an exported
`entries.jsonl` line with `parse_entry` alone.
"""

import json
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AwareDatetime, ValidationError

# EntryData is re-exported: readers of the log import every entry name from here.
from governance.audit.entries_reports import ReportReady, ReviewDecided
from governance.audit.entry_base import EntryData as EntryData
from governance.audit.entry_base import _Strict
from rights.clearance import Verdict


class KeyCreated(EntryData):
    entry_kind: ClassVar[str] = "key.created"
    schema_version: Literal[1] = 1
    name: str
    role: str
    holder_id: int | None


class KeyRevoked(EntryData):
    entry_kind: ClassVar[str] = "key.revoked"
    schema_version: Literal[1] = 1
    name: str


class RecordedWork(_Strict):
    """A work as registered, in the shape the works API serves it."""

    id: int
    holder_id: int
    title: str
    creator: str
    license: str
    terms: dict[str, Any]
    terms_version: int
    terms_effective_from: AwareDatetime
    sha256: str
    pixel_sha256: str
    media_type: str
    width: int
    height: int
    byte_size: int
    fingerprints: dict[str, str]
    created_at: AwareDatetime


class WorkRegistered(EntryData):
    entry_kind: ClassVar[str] = "work.registered"
    schema_version: Literal[1] = 1
    work: RecordedWork
    # How each embedded source (C2PA, XMP) was read: found, signals, errors.
    embedded_terms_read: list[dict[str, Any]]


class DisputedMatch(_Strict):
    """An earlier work of another holder that a newly registered work copies."""

    work_id: int
    holder_id: int
    method: str  # exact, hash or local_features (governance.works.nearcopy_schemas)
    score: float
    inliers: int


class WorkDisputed(EntryData):
    """A work registered as a near-copy of other holders' works: its terms bind no one
    until an admin resolves the dispute."""

    entry_kind: ClassVar[str] = "work.disputed"
    schema_version: Literal[1] = 1
    work_id: int
    holder_id: int
    matches: list[DisputedMatch]


class DisputeResolved(EntryData):
    """An admin's resolution: upheld (the work's terms bind from now on) or rejected (it
    stays registered and never binds)."""

    entry_kind: ClassVar[str] = "work.dispute_resolved"
    schema_version: Literal[1] = 1
    work_id: int
    resolution: Literal["upheld", "rejected"]
    comment: str
    other_works: list[int]


class RecordedTermsVersion(_Strict):
    version: int
    effective_from: AwareDatetime
    terms: dict[str, Any]
    declared: dict[str, Any]
    embedded: dict[str, Any]
    changed_by: str


class TermsChanged(EntryData):
    entry_kind: ClassVar[str] = "terms.changed"
    schema_version: Literal[1] = 1
    version: RecordedTermsVersion


class RecordedModel(_Strict):
    id: int
    name: str
    kind: str
    adapter: str
    version: str
    weights_sha256: str


class RecordedDataset(_Strict):
    position: int
    name: str
    declared_license: str
    concluded_license: str
    legal_basis: str
    acquired_at: str | None
    items: int


class RecordedManifest(_Strict):
    format: str
    sha256: str
    items: int
    datasets: list[RecordedDataset]


class ModelRegistered(EntryData):
    entry_kind: ClassVar[str] = "model.registered"
    schema_version: Literal[1] = 1
    model: RecordedModel
    manifest: RecordedManifest
    linked_items: int


class ClearanceOfUse(_Strict):
    verdict: Verdict
    reasons: list[str]  # the first 20; the full list is in the stored evidence
    matched_items: int


class ClearanceRecorded(EntryData):
    entry_kind: ClassVar[str] = "model.clearance"
    schema_version: Literal[1] = 1
    model_id: int
    weights_sha256: str
    verdict: Verdict
    trigger: str
    uses: dict[str, ClearanceOfUse]
    evidence_sha256: str  # of the evidence stored with the clearance (RFC 8785 JSON)


class TwinReleased(EntryData):
    """An admin's reason why `model_id` does not carry the clearance of `twin_id`, a
    model with the same weights (the carry-over is lifted in that direction only)."""

    entry_kind: ClassVar[str] = "model.twin_released"
    schema_version: Literal[1] = 1
    model_id: int
    twin_id: int
    weights_sha256: str
    reason: str


class ModelRetired(EntryData):
    """An admin's retirement of one model version: its calls are blocked from then on."""

    entry_kind: ClassVar[str] = "model.retired"
    schema_version: Literal[1] = 1
    model_id: int
    name: str
    version: str
    weights_sha256: str
    reason: str


class CalledModel(_Strict):
    id: int
    name: str
    version: str
    weights_sha256: str


class StageOutcome(_Strict):
    name: str
    outcome: str


class CallReason(_Strict):
    code: str  # stable, for machines
    detail: str  # a sentence, for people


class CallRecorded(EntryData):
    entry_kind: ClassVar[str] = "call.recorded"
    schema_version: Literal[1] = 1
    call_id: int
    kind: str
    status: str
    model: CalledModel
    request: dict[str, Any]
    input_sha256: str | None
    mask_sha256: str | None
    output_sha256: str | None
    reasons: list[CallReason]
    stages_sha256: str  # of the stages' full evidence, kept on the call's row
    stages: list[StageOutcome]


class VisibleLabel(_Strict):
    """The visible label as drawn: verification reads it from the record, not the pixels."""

    text: str
    height_px: int
    box: list[int]
    edge: str
    shorter_side_px: int
    output_size: list[int]  # [width, height]


class SoftwareAgent(_Strict):
    name: str
    version: str


class SoftBinding(_Strict):
    alg: str
    value: str


class LabelDetails(_Strict):
    """What was labelled: kept on the label's row and in its audit entry."""

    digital_source_type: str
    software_agent: SoftwareAgent
    implicit_label: dict[str, str]  # {"TC260:AIGC": the label's JSON text}
    visible_label: VisibleLabel | None
    training_mining: dict[str, str]  # CAWG use -> value carried from the input's works
    soft_bindings: list[SoftBinding]
    notes: list[str]


class OutputLabelled(EntryData, LabelDetails):
    entry_kind: ClassVar[str] = "output.labelled"
    schema_version: Literal[1] = 1
    call_id: int
    call_audit_index: int
    manifest_id: str
    output_sha256: str
    manifest_store_sha256: str
    watermark_id: str | None
    phash: str
    dhash: str


class DetectorCalibrated(EntryData):
    """A detector's scores calibrated on a deployment's own images: the method, its
    parameters and the held-out figures. Its row (detector_calibrations) is in force for
    these weights until a newer one is recorded."""

    entry_kind: ClassVar[str] = "detector.calibrated"
    schema_version: Literal[1] = 1
    model_id: int
    name: str
    version: str
    weights_sha256: str
    method: str
    parameters: dict[str, float | list[float]]
    figures: dict[str, float | int]
    target_fpr: float
    threshold: float
    # Over the sorted SHA-256 of each file: which images the calibration was fitted on.
    real_files_sha256: str
    synthetic_files_sha256: str


ENTRY_KINDS: dict[str, type[EntryData]] = {
    kind.entry_kind: kind
    for kind in (
        KeyCreated,
        KeyRevoked,
        WorkRegistered,
        WorkDisputed,
        DisputeResolved,
        TermsChanged,
        ModelRegistered,
        ClearanceRecorded,
        TwinReleased,
        ModelRetired,
        CallRecorded,
        OutputLabelled,
        DetectorCalibrated,
        ReportReady,
        ReviewDecided,
    )
}

D = TypeVar("D", bound=EntryData)


class StoredEntry(_Strict, Generic[D]):
    """One entry as signed into the log: its envelope and its typed data."""

    index: int
    kind: str
    subject: str
    actor: str
    at: AwareDatetime
    data: D


class UnreadableEntry(ValueError):
    """A stored entry that is not JSON, is of an unknown kind or does not follow its schema."""


def parse_entry(raw: bytes | str) -> StoredEntry[EntryData]:
    """A stored entry's bytes (RFC 8785 JSON) parsed into the model of its kind."""
    kind = _kind_of(raw)
    model = ENTRY_KINDS.get(kind)
    if model is None:
        raise UnreadableEntry(f"no schema is known for entries of kind {kind!r}")
    return _parse(raw, model)


def parse_entry_as(raw: bytes | str, model: type[D]) -> StoredEntry[D]:
    """A stored entry parsed as `model`; unreadable if it is of another kind."""
    kind = _kind_of(raw)
    if kind != model.entry_kind:
        raise UnreadableEntry(f"the entry is {kind!r}, not {model.entry_kind!r}")
    return _parse(raw, model)


def _kind_of(raw: bytes | str) -> str:
    try:
        envelope = json.loads(raw)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        raise UnreadableEntry("the entry is not a JSON object")
    return str(envelope.get("kind"))


def _parse(raw: bytes | str, model: type[D]) -> StoredEntry[D]:
    try:
        # Strict: a number stored as a string, say, is not the schema's number.
        return StoredEntry[model].model_validate_json(raw, strict=True)  # type: ignore[valid-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UnreadableEntry(
            f"the entry does not follow the {model.entry_kind} schema: {first['msg']} at {where}"
        ) from None
