"""The governed call: stages in order, then one record and its audit entry, and for a
labelled output the label's row and entry.

request -> authenticate -> pre-checks -> model -> label -> store -> record. A stage that
refuses blocks the call; one that fails ends it as failed; either way the call is
recorded with every stage's evidence, in the request's one transaction.
"""

import time
from collections.abc import Sequence

from governance.calls.checks import Authenticate, ClearanceCheck, InputRights, PromptCheck
from governance.calls.context import CallContext, CallStatus, Outcome, Stage
from governance.calls.models import ModelCall
from governance.calls.record import has_output, record
from governance.calls.run_model import RunModel, StoreOutput
from governance.credentials.record import record_label
from governance.credentials.stage import LabelOutput

RESTORATION_STAGES: Sequence[Stage] = (
    Authenticate(),
    ClearanceCheck(),
    InputRights(),
    RunModel(),
    LabelOutput(),
    StoreOutput(),
)
GENERATION_STAGES: Sequence[Stage] = (
    Authenticate(),
    ClearanceCheck(),
    PromptCheck(),
    RunModel(),
    LabelOutput(),
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
    status = status_of(call)
    row = record(call, status)
    if call.label is not None and has_output(status):
        record_label(call, row)
    return row


def status_of(call: CallContext) -> CallStatus:
    outcomes = {r.outcome for r in call.results}
    if Outcome.FAILED in outcomes:
        return CallStatus.FAILED
    if Outcome.REFUSED in outcomes:
        return CallStatus.BLOCKED
    if call.kind == "restoration" and call.services.settings.restorations_need_review:
        return CallStatus.PENDING_REVIEW
    return CallStatus.RELEASED
