"""Who makes the call: the key was checked before the call began; this records it."""

from governance.pipeline.context import CallContext
from governance.pipeline.evidence import AuthenticateEvidence
from governance.pipeline.stage import StageResult, passed


class Authenticate:
    name = "authenticate"

    def run(self, call: CallContext) -> StageResult:
        principal = call.principal
        return passed(
            self.name, AuthenticateEvidence(actor=principal.actor, role=principal.role.value)
        )
