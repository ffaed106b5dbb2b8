"""What a stage is and what it reports.

Three kinds of stage, by what they may see: a check runs before the model (the call's
typed input), the model stage makes the output, an output stage runs after it (and sees
it), a sealed stage runs inside the seal (and also sees the record's id and the audit
index its entry takes). Each returns one StageResult; none reads another's evidence.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from governance.pipeline.context import CallContext, Output, Seal
from governance.pipeline.evidence import Evidence, NoEvidence


class Outcome(StrEnum):
    PASSED = "passed"
    FLAGGED = "flagged"  # a person must decide: the call goes on, and ends pending review
    REFUSED = "refused"  # a rule says no: the call is blocked
    FAILED = "failed"  # the model or the service could not do it: the call failed


@dataclass(frozen=True)
class Reason:
    code: str  # stable, for machines
    detail: str  # a sentence, for people

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}


@dataclass
class StageResult:
    name: str
    outcome: Outcome
    evidence: Evidence = field(default_factory=NoEvidence)
    reasons: list[Reason] = field(default_factory=list)
    duration_ms: float = 0.0

    @property
    def goes_on(self) -> bool:
        """Whether the call continues after this stage."""
        return self.outcome in (Outcome.PASSED, Outcome.FLAGGED)

    def to_json(self) -> dict[str, Any]:
        """What the record keeps: the evidence as its typed schema (and version) says."""
        return {
            "name": self.name,
            "outcome": self.outcome.value,
            "duration_ms": round(self.duration_ms, 3),
            "reasons": [r.to_json() for r in self.reasons],
            "evidence_version": self.evidence.schema_version,
            "evidence": self.evidence.to_json(),
        }


class Stage(Protocol):
    """A check before the model: who asks, may this model, input or prompt be used."""

    name: str

    def run(self, call: CallContext) -> StageResult: ...


class ModelStage(Protocol):
    name: str

    def run(self, call: CallContext) -> tuple[StageResult, Output | None]: ...


class OutputStage(Protocol):
    """A stage after the model, before the seal (screening, for example)."""

    name: str

    def run(self, call: CallContext, output: Output) -> StageResult: ...


class SealedStage(Protocol):
    """A stage inside the seal: it may name the record (label) or keep files (store)."""

    name: str

    def run(self, call: CallContext, output: Output, seal: Seal) -> StageResult: ...


def passed(stage: str, evidence: Evidence) -> StageResult:
    return StageResult(stage, Outcome.PASSED, evidence)


def refused(stage: str, code: str, detail: str, evidence: Evidence) -> StageResult:
    return StageResult(stage, Outcome.REFUSED, evidence, [Reason(code, detail)])


def flagged(stage: str, code: str, detail: str, evidence: Evidence) -> StageResult:
    return StageResult(stage, Outcome.FLAGGED, evidence, [Reason(code, detail)])


def failed(stage: str, code: str, detail: str, evidence: Evidence | None = None) -> StageResult:
    return StageResult(stage, Outcome.FAILED, evidence or NoEvidence(), [Reason(code, detail)])
