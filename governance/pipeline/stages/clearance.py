"""May this model be used at all: it must not be retired, and its latest training-data
clearance must be `cleared`."""

from governance.aimodels import clearance
from governance.aimodels.lookup import retirement_of
from governance.pipeline.context import CallContext
from governance.pipeline.evidence import ClearanceEvidence
from governance.pipeline.stage import StageResult, passed, refused
from rights.clearance import Verdict


class ClearanceCheck:
    name = "clearance"

    def run(self, call: CallContext) -> StageResult:
        row = clearance.latest(call.session, call.model_id)
        assert row is not None and row.id is not None, "every model is cleared at registration"
        evidence = ClearanceEvidence(
            clearance_id=row.id,
            verdict=row.verdict,
            audit_index=row.audit_index,
            computed_at=row.computed_at.isoformat(),
        )
        retired = retirement_of(call.session, call.model_id)
        if retired is not None:
            detail = (
                f"model '{call.model.name}' version '{call.model.version}' was retired by "
                f"{retired.retired_by} (audit entry {retired.audit_index}): {retired.reason}"
            )
            return refused(self.name, "model_retired", detail, evidence)
        if row.verdict == Verdict.CLEARED.value:
            return passed(self.name, evidence)
        uses = clearance.evidence_of(row)
        reasons = [reason for use in uses.required for reason in uses.uses[use].reasons]
        detail = f"model '{call.model.name}' is not cleared ({row.verdict})"
        if reasons:
            detail += ": " + "; ".join(dict.fromkeys(reasons[:5]))
        return refused(self.name, f"model_{row.verdict}", detail, evidence)
