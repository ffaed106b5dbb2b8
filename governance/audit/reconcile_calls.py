"""Reconciling the rows that name their own audit entry: clearances, twin releases,
retirements, calls and output labels."""

from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import String, type_coerce
from sqlalchemy import select as core_select
from sqlmodel import Session

from governance.aimodels.models import ModelClearance, ModelRetirement, TwinRelease
from governance.audit.entries import (
    CallRecorded,
    ClearanceRecorded,
    LabelDetails,
    ModelRetired,
    OutputLabelled,
    TwinReleased,
)
from governance.audit.reconcile_fields import (
    Entries,
    Problems,
    by_audit_index,
    claimed_once,
    compare,
    data_of,
    missing,
    sha256_of,
)
from governance.calls.models import ModelCall
from governance.credentials.models import OutputLabel
from rights.clearance import ClearanceEvidence
from rights.fingerprints import hash_hex


def clearances(session: Session, entries: Entries, problems: Problems) -> None:
    recorded = data_of(entries, ClearanceRecorded)
    rows = by_audit_index(session, ModelClearance, [e for e, _ in recorded])
    for entry, data in recorded:
        row = claimed_once(problems, entry, rows.get(entry.index, []), "model_clearances")
        if row is None:
            continue
        try:
            # As the service hashes it: evidence from before versions reads as version 1.
            stored_hash = sha256_of(
                ClearanceEvidence.model_validate(row.uses).model_dump(mode="json")
            )
        except ValidationError:
            stored_hash = f"unreadable evidence, sha256 {sha256_of(row.uses)}"
        compare(
            problems,
            entry,
            f"model_clearances row {row.id}",
            [
                ("model_id", data.model_id, row.model_id),
                ("verdict", data.verdict.value, row.verdict),
                ("trigger", data.trigger, row.trigger),
                ("evidence sha256", data.evidence_sha256, stored_hash),
            ],
        )


def twins(session: Session, entries: Entries, problems: Problems) -> None:
    released = data_of(entries, TwinReleased)
    rows = by_audit_index(session, TwinRelease, [e for e, _ in released])
    for entry, data in released:
        row = claimed_once(problems, entry, rows.get(entry.index, []), "model_twin_releases")
        if row is not None:
            compare(
                problems,
                entry,
                f"model_twin_releases row {row.id}",
                [
                    ("model_id", data.model_id, row.model_id),
                    ("twin_id", data.twin_id, row.twin_id),
                    ("reason", data.reason, row.reason),
                    ("released_by", entry.actor, row.released_by),
                ],
            )


def retirements(session: Session, entries: Entries, problems: Problems) -> None:
    retired = data_of(entries, ModelRetired)
    rows = by_audit_index(session, ModelRetirement, [e for e, _ in retired])
    for entry, data in retired:
        # A retirement row gone would let the clearance stage run the model again.
        row = claimed_once(problems, entry, rows.get(entry.index, []), "model_retirements")
        if row is not None:
            compare(
                problems,
                entry,
                f"model_retirements row {row.id}",
                [
                    ("model_id", data.model_id, row.model_id),
                    ("reason", data.reason, row.reason),
                    ("retired_by", entry.actor, row.retired_by),
                ],
            )


def calls(session: Session, entries: Entries, problems: Problems) -> None:
    recorded = data_of(entries, CallRecorded)
    table = cast(Any, ModelCall).__table__
    # Columns, not the entity, with the status as text: a value that is no status must
    # be named here, not raise on loading.
    columns = [c for c in table.c if c.name != "status"]
    query = core_select(*columns, type_coerce(table.c.status, String).label("status")).where(
        table.c.id.in_([data.call_id for _, data in recorded])
    )
    rows = {row.id: row for row in session.exec(query)}  # type: ignore[call-overload]
    for entry, data in recorded:
        found = rows.get(data.call_id)
        if found is None:
            missing(problems, entry, f"call {data.call_id}")
            continue
        call = found
        compare(
            problems,
            entry,
            f"model_calls row {call.id}",
            [
                ("kind", data.kind, call.kind),
                ("status", data.status, call.status),
                ("model_id", data.model.id, call.model_id),
                ("actor", entry.actor, call.actor),
                ("request", data.request, call.request),
                ("input_sha256", data.input_sha256, call.input_sha256),
                ("mask_sha256", data.mask_sha256, call.mask_sha256),
                ("output_sha256", data.output_sha256, call.output_sha256),
                ("reasons", [r.model_dump() for r in data.reasons], call.reasons),
                ("stages sha256", data.stages_sha256, sha256_of(call.stages)),
                ("audit_index", entry.index, call.audit_index),
            ],
        )


def labels(session: Session, entries: Entries, problems: Problems) -> None:
    labelled = data_of(entries, OutputLabelled)
    rows = by_audit_index(session, OutputLabel, [e for e, _ in labelled])
    details = set(LabelDetails.model_fields)
    for entry, data in labelled:
        row = claimed_once(problems, entry, rows.get(entry.index, []), "output_labels")
        if row is None:
            continue
        compare(
            problems,
            entry,
            f"output_labels row {row.id}",
            [
                ("manifest_id", data.manifest_id, row.manifest_id),
                ("call_id", data.call_id, row.call_id),
                ("call_audit_index", data.call_audit_index, row.call_audit_index),
                ("output_sha256", data.output_sha256, row.output_sha256),
                ("manifest_store_sha256", data.manifest_store_sha256, row.manifest_store_sha256),
                ("watermark_id", data.watermark_id, row.watermark_id),
                ("phash", data.phash, hash_hex(row.phash)),
                ("dhash", data.dhash, hash_hex(row.dhash)),
                ("details", data.model_dump(mode="json", include=details), row.details),
            ],
        )
