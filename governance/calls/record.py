"""The record of a call: one row and one audit entry, written in the request's transaction."""

import hashlib
from typing import Any

import rfc8785

from governance.calls.context import CallContext, CallStatus
from governance.calls.models import ModelCall


def reserve(call: CallContext) -> ModelCall:
    """The call's row, inserted early: the label stage signs the call's id into the output
    before the record is complete. It commits only with the full record."""
    if call.row is None:
        assert call.model.id is not None
        call.row = ModelCall(
            kind=call.kind,
            model_id=call.model.id,
            actor=call.principal.actor,
            status="recording",
            reasons=[],
            stages=[],
            request=call.request,
        )
        call.session.add(call.row)
        call.session.flush()
    return call.row


def evidence_sha256(stages: list[dict[str, Any]]) -> str:
    """SHA-256 of the stages' canonical JSON (RFC 8785): what a manifest or entry names."""
    return hashlib.sha256(rfc8785.dumps(stages)).hexdigest()


def has_output(status: CallStatus) -> bool:
    return status in (CallStatus.RELEASED, CallStatus.PENDING_REVIEW)


def record(call: CallContext, status: CallStatus) -> ModelCall:
    model = call.model
    row = reserve(call)
    row.status = status.value
    row.reasons = [reason for r in call.results for reason in r.reasons]
    row.stages = [r.to_json() for r in call.results]
    row.request = call.request
    row.input_sha256 = call.input_sha256
    row.mask_sha256 = call.mask_sha256
    row.output_sha256 = call.output_sha256 if has_output(status) else None
    session = call.session
    session.add(row)
    session.flush()
    entry = call.services.audit.append(
        session,
        "call.recorded",
        f"call:{row.id}",
        call.principal.actor,
        {
            "call_id": row.id,
            "kind": row.kind,
            "status": row.status,
            "model": {
                "id": model.id,
                "name": model.name,
                "version": model.version,
                "weights_sha256": model.weights_sha256,
            },
            "request": row.request,
            "input_sha256": row.input_sha256,
            "mask_sha256": row.mask_sha256,
            "output_sha256": row.output_sha256,
            "reasons": row.reasons,
            "stages_sha256": evidence_sha256(row.stages),
            "stages": [{"name": s["name"], "outcome": s["outcome"]} for s in row.stages],
        },
    )
    if call.audit_index is not None and entry.idx != call.audit_index:
        # The manifest already names call.audit_index: an append in between is a bug.
        raise RuntimeError(
            f"call {row.id} was labelled for audit entry {call.audit_index}, "
            f"but its entry is {entry.idx}"
        )
    row.audit_index = entry.idx
    session.add(row)
    session.flush()
    return row
