"""The governed call: stages in order, then one record and one audit entry.

request -> authenticate -> pre-checks -> model -> store -> record. A stage that
refuses blocks the call; one that fails ends it as failed; either way the call is
recorded with every stage's evidence, in the request's one transaction.
"""

import hashlib
import time
from collections.abc import Sequence
from typing import Any

import rfc8785

from governance.calls.checks import Authenticate, ClearanceCheck, InputRights, PromptCheck
from governance.calls.context import CallContext, CallStatus, Outcome, Stage
from governance.calls.models import ModelCall
from governance.calls.run_model import RunModel, StoreOutput

RESTORATION_STAGES: Sequence[Stage] = (
    Authenticate(),
    ClearanceCheck(),
    InputRights(),
    RunModel(),
    StoreOutput(),
)
GENERATION_STAGES: Sequence[Stage] = (
    Authenticate(),
    ClearanceCheck(),
    PromptCheck(),
    RunModel(),
    StoreOutput(),
)


def run(call: CallContext, stages: Sequence[Stage]) -> ModelCall:
    for stage in stages:
        started = time.perf_counter()
        result = stage.run(call)
        result.duration_ms = (time.perf_counter() - started) * 1000
        call.results.append(result)
        if result.outcome is not Outcome.PASSED:
            break
    return record(call, status_of(call))


def status_of(call: CallContext) -> CallStatus:
    outcomes = {r.outcome for r in call.results}
    if Outcome.FAILED in outcomes:
        return CallStatus.FAILED
    if Outcome.REFUSED in outcomes:
        return CallStatus.BLOCKED
    if call.kind == "restoration" and call.services.settings.restorations_need_review:
        return CallStatus.PENDING_REVIEW
    return CallStatus.RELEASED


def record(call: CallContext, status: CallStatus) -> ModelCall:
    model = call.model
    assert model.id is not None
    row = ModelCall(
        kind=call.kind,
        model_id=model.id,
        actor=call.principal.actor,
        status=status.value,
        reasons=[reason for r in call.results for reason in r.reasons],
        stages=[r.to_json() for r in call.results],
        request=call.request,
        input_sha256=call.input_sha256,
        mask_sha256=call.mask_sha256,
        output_sha256=call.output_sha256 if _has_output(status) else None,
    )
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
            "stages_sha256": _digest(row.stages),
            "stages": [{"name": s["name"], "outcome": s["outcome"]} for s in row.stages],
        },
    )
    row.audit_index = entry.idx
    session.add(row)
    session.flush()
    return row


def _has_output(status: CallStatus) -> bool:
    return status in (CallStatus.RELEASED, CallStatus.PENDING_REVIEW)


def _digest(stages: list[dict[str, Any]]) -> str:
    return hashlib.sha256(rfc8785.dumps(stages)).hexdigest()
