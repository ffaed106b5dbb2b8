"""Running a call: the checks, the model, the stages after it, then the seal.

request -> checks -> model -> after-model stages -> seal: reserve the row, take the
audit lock, label, store, record. A stage that refuses blocks the call, one that fails
ends it as failed, one that flags sends it to review; whatever happens, the call is
recorded with every stage's evidence in the request's one transaction. Nothing before
the seal holds the audit lock, and nothing after the seal's record appends.
"""

import time

from governance.audit.log import size as audit_size
from governance.calls.models import ModelCall
from governance.calls.status import CallStatus, keeps_output
from governance.credentials.record import record_label
from governance.db import begin_write, end_reads
from governance.pipeline.context import CallContext, Output, Seal
from governance.pipeline.plans import Plan
from governance.pipeline.record import evidence_sha256, record, reserve
from governance.pipeline.stage import Outcome, StageResult
from governance.works.sightings import record_call_sightings


def run(call: CallContext, plan: Plan) -> ModelCall:
    results: list[StageResult] = []
    output = _until_the_seal(call, plan, results)
    return _seal(call, plan, results, output)


def _until_the_seal(call: CallContext, plan: Plan, results: list[StageResult]) -> Output | None:
    for check in plan.checks:
        started = time.perf_counter()
        if not _kept(results, check.run(call), started):
            return None
    # The checks' reads end here: the model runs holding no connection and no lock.
    end_reads(call.session)
    started = time.perf_counter()
    result, output = plan.model.run(call)
    if not _kept(results, result, started) or output is None:
        return None
    for stage in plan.after_model:
        started = time.perf_counter()
        if not _kept(results, stage.run(call, output), started):
            return None
    return output


def _seal(
    call: CallContext, plan: Plan, results: list[StageResult], output: Output | None
) -> ModelCall:
    status = status_of(results, plan.always_reviewed(call.services.settings))
    started = time.perf_counter()
    begin_write(call.session)
    row = reserve(call, status)
    assert row.id is not None
    record_call_sightings(call.session, row.id, call.sightings)
    call.services.audit.lock(call.session)
    seal = Seal(
        call_id=row.id,
        audit_index=audit_size(call.session),
        evidence_sha256=evidence_sha256([r.to_json() for r in results]),
        reserve_ms=(time.perf_counter() - started) * 1000,
    )
    if output is not None and keeps_output(status):
        for sealed in plan.sealed:
            started = time.perf_counter()
            if not _kept(results, sealed.run(call, output, seal), started):
                break
        status = status_of(results, plan.always_reviewed(call.services.settings))
    row = record(call, row, status, results, output, seal)
    if output is not None and output.label is not None and keeps_output(status):
        assert row.output_sha256 is not None
        record_label(
            call.session,
            call.services,
            call.principal.actor,
            seal.call_id,
            row.output_sha256,
            output.label,
        )
    return row


def status_of(results: list[StageResult], always_reviewed: bool) -> CallStatus:
    outcomes = {r.outcome for r in results}
    if Outcome.FAILED in outcomes:
        return CallStatus.FAILED
    if Outcome.REFUSED in outcomes:
        return CallStatus.BLOCKED
    if Outcome.FLAGGED in outcomes or always_reviewed:
        return CallStatus.PENDING_REVIEW
    return CallStatus.RELEASED


def _kept(results: list[StageResult], result: StageResult, started: float) -> bool:
    """Keep `result`, timed from `started`; whether the call goes on."""
    result.duration_ms = (time.perf_counter() - started) * 1000
    results.append(result)
    return result.goes_on
