"""The record of a call: one row and one audit entry, written in the request's transaction."""

import hashlib
from typing import Any

import rfc8785

from governance.audit.entries import CalledModel, CallReason, CallRecorded, StageOutcome
from governance.calls.models import ModelCall
from governance.calls.status import CallStatus, keeps_output
from governance.pipeline.context import CallContext, Output, RestorationInput, Seal
from governance.pipeline.stage import StageResult


def reserve(call: CallContext, status: CallStatus) -> ModelCall:
    """The call's row, inserted at the seal: the label names its id before the record is
    complete. It commits only with the full record."""
    row = ModelCall(
        kind=call.kind.value,
        model_id=call.model_id,
        actor=call.principal.actor,
        status=status,
        reasons=[],
        stages=[],
        request=call.request,
    )
    call.session.add(row)
    call.session.flush()
    return row


def evidence_sha256(stages: list[dict[str, Any]]) -> str:
    """SHA-256 of the stages' canonical JSON (RFC 8785): what a manifest or entry names."""
    return hashlib.sha256(rfc8785.dumps(stages)).hexdigest()


def record(
    call: CallContext,
    row: ModelCall,
    status: CallStatus,
    results: list[StageResult],
    output: Output | None,
    seal: Seal,
) -> ModelCall:
    model = call.model
    row.status = status
    row.reasons = [reason.to_json() for r in results for reason in r.reasons]
    row.stages = [r.to_json() for r in results]
    row.request = call.request
    if isinstance(call.input, RestorationInput):
        row.input_sha256 = call.input.input_sha256
        row.mask_sha256 = call.input.mask_sha256
    row.output_sha256 = output.sha256 if output is not None and keeps_output(status) else None
    session = call.session
    session.add(row)
    session.flush()
    entry = call.services.audit.record(
        session,
        f"call:{row.id}",
        call.principal.actor,
        CallRecorded(
            call_id=row.id,
            kind=row.kind,
            status=row.status.value,
            model=CalledModel(
                id=call.model_id,
                name=model.name,
                version=model.version,
                weights_sha256=model.weights_sha256,
            ),
            request=row.request,
            input_sha256=row.input_sha256,
            mask_sha256=row.mask_sha256,
            output_sha256=row.output_sha256,
            reasons=[CallReason(**reason) for reason in row.reasons],
            stages_sha256=evidence_sha256(row.stages),
            stages=[StageOutcome(name=s["name"], outcome=s["outcome"]) for s in row.stages],
        ),
    )
    if entry.idx != seal.audit_index:
        # The label already names seal.audit_index: an append in between is a bug.
        raise RuntimeError(
            f"call {row.id} was sealed for audit entry {seal.audit_index}, "
            f"but its entry is {entry.idx}"
        )
    row.audit_index = entry.idx
    session.add(row)
    session.flush()
    return row
