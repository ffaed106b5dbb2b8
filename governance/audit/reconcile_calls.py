"""Reconciling the rows that name their own audit entry (clearances, twin releases,
retirements, output labels) and the calls."""

from dataclasses import dataclass
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import String, type_coerce
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from governance.aimodels.models import ModelClearance, ModelRetirement, TwinRelease
from governance.audit.entries import (
    CallRecorded,
    ClearanceRecorded,
    LabelDetails,
    ModelRetired,
    OutputLabelled,
    StoredEntry,
    TwinReleased,
    UnreadableEntry,
    parse_entry_as,
)
from governance.audit.entries_reports import ReviewDecided
from governance.audit.models import AuditEntry
from governance.audit.reconcile_fields import (
    Field,
    RowCheck,
    audit_index,
    by_audit_index,
    kind_check,
    sha256_of,
)
from governance.calls.models import ModelCall
from governance.credentials.models import OutputLabel
from rights.clearance import ClearanceEvidence
from rights.fingerprints import hash_hex


def _clearance_fields(
    entry: StoredEntry[Any], data: ClearanceRecorded, row: ModelClearance
) -> list[Field]:
    try:
        # As the service hashes it: evidence from before versions reads as version 1.
        stored_hash = sha256_of(ClearanceEvidence.model_validate(row.uses).model_dump(mode="json"))
    except ValidationError:
        stored_hash = f"unreadable evidence, sha256 {sha256_of(row.uses)}"
    return [
        ("model_id", data.model_id, row.model_id),
        ("verdict", data.verdict.value, row.verdict),
        ("trigger", data.trigger, row.trigger),
        ("evidence sha256", data.evidence_sha256, stored_hash),
    ]


clearances = kind_check(
    ClearanceRecorded,
    RowCheck[ClearanceRecorded, int, ModelClearance](
        table="model_clearances",
        key=audit_index,
        load=by_audit_index(ModelClearance),
        absent=None,
        label=lambda row, _: str(row.id),
        fields=_clearance_fields,
    ),
)

twins = kind_check(
    TwinReleased,
    RowCheck[TwinReleased, int, TwinRelease](
        table="model_twin_releases",
        key=audit_index,
        load=by_audit_index(TwinRelease),
        absent=None,
        label=lambda row, _: str(row.id),
        fields=lambda entry, data, row: [
            ("model_id", data.model_id, row.model_id),
            ("twin_id", data.twin_id, row.twin_id),
            ("reason", data.reason, row.reason),
            ("released_by", entry.actor, row.released_by),
        ],
    ),
)

# A retirement row gone would let the clearance stage run the model again.
retirements = kind_check(
    ModelRetired,
    RowCheck[ModelRetired, int, ModelRetirement](
        table="model_retirements",
        key=audit_index,
        load=by_audit_index(ModelRetirement),
        absent=None,
        label=lambda row, _: str(row.id),
        fields=lambda entry, data, row: [
            ("model_id", data.model_id, row.model_id),
            ("reason", data.reason, row.reason),
            ("retired_by", entry.actor, row.retired_by),
        ],
    ),
)


@dataclass(frozen=True)
class _Call:
    """A call's row, and what its review decisions (later entries) changed in it."""

    row: Any
    # The status the newest review.decided left, else None (then call.recorded's holds).
    decided_status: str | None
    # The released file's SHA-256 once a decision released the output, else None.
    released_output: str | None


def _calls_by_id(session: Session, ids: list[int]) -> dict[int, list[_Call]]:
    table = cast(Any, ModelCall).__table__
    # Columns, not the entity, with the status as text: a value that is no status must
    # be named here, not raise on loading.
    columns = [c for c in table.c if c.name != "status"]
    query = core_select(*columns, type_coerce(table.c.status, String).label("status")).where(
        table.c.id.in_(ids)
    )
    rows = list(session.exec(query))  # type: ignore[call-overload]
    decided: dict[int, ReviewDecided] = {}
    released: dict[int, str] = {}
    subjects = [f"call:{row.id}" for row in rows]
    found = session.exec(
        select(AuditEntry.entry)
        .where(AuditEntry.kind == ReviewDecided.entry_kind, col(AuditEntry.subject).in_(subjects))
        .order_by(col(AuditEntry.idx))
    )
    for raw in found:
        try:
            data = parse_entry_as(raw, ReviewDecided).data
        except UnreadableEntry:
            continue  # the log's own check names it
        decided[data.call_id] = data
        if data.released is not None:
            released[data.call_id] = data.released.output_sha256
    return {
        row.id: [
            _Call(
                row,
                decided[row.id].status if row.id in decided else None,
                released.get(row.id),
            )
        ]
        for row in rows
    }


def _call_fields(entry: StoredEntry[CallRecorded], data: CallRecorded, call: _Call) -> list[Field]:
    row = call.row
    # A review moves a pending call on (reconcile_reports checks the status against the
    # newest decision) and a release names the file signed again.
    status = [] if call.decided_status is not None else [("status", data.status, row.status)]
    output = call.released_output or data.output_sha256
    return [
        ("kind", data.kind, row.kind),
        *status,
        ("model_id", data.model.id, row.model_id),
        ("actor", entry.actor, row.actor),
        ("request", data.request, row.request),
        ("input_sha256", data.input_sha256, row.input_sha256),
        ("mask_sha256", data.mask_sha256, row.mask_sha256),
        ("output_sha256", output, row.output_sha256),
        ("reasons", [r.model_dump() for r in data.reasons], row.reasons),
        ("stages sha256", data.stages_sha256, sha256_of(row.stages)),
        ("audit_index", entry.index, row.audit_index),
    ]


calls = kind_check(
    CallRecorded,
    RowCheck[CallRecorded, int, _Call](
        table="model_calls",
        key=lambda _, data: data.call_id,
        load=_calls_by_id,
        absent=lambda call_id: f"call {call_id}",
        label=lambda call, _: str(call.row.id),
        fields=_call_fields,
    ),
)

_DETAILS = set(LabelDetails.model_fields)

labels = kind_check(
    OutputLabelled,
    RowCheck[OutputLabelled, int, OutputLabel](
        table="output_labels",
        key=audit_index,
        load=by_audit_index(OutputLabel),
        absent=None,
        label=lambda row, _: str(row.id),
        fields=lambda entry, data, row: [
            ("manifest_id", data.manifest_id, row.manifest_id),
            ("call_id", data.call_id, row.call_id),
            ("call_audit_index", data.call_audit_index, row.call_audit_index),
            ("output_sha256", data.output_sha256, row.output_sha256),
            ("manifest_store_sha256", data.manifest_store_sha256, row.manifest_store_sha256),
            ("watermark_id", data.watermark_id, row.watermark_id),
            ("phash", data.phash, hash_hex(row.phash)),
            ("dhash", data.dhash, hash_hex(row.dhash)),
            ("details", data.model_dump(mode="json", include=_DETAILS), row.details),
        ],
    ),
)
