"""What a governed call carries from stage to stage, and what a stage reports."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
from sqlmodel import Session

from governance.aimodels.models import AiModel
from governance.auth.service import Principal
from governance.calls.models import ModelCall
from governance.credentials.draft import LabelDraft
from governance.db import after_commit
from governance.services import Services


class Outcome(StrEnum):
    PASSED = "passed"
    REFUSED = "refused"  # a rule says no: the call is blocked
    FAILED = "failed"  # the model or the service could not do it: the call failed


class CallStatus(StrEnum):
    RELEASED = "released"
    PENDING_REVIEW = "pending_review"
    BLOCKED = "blocked"
    FAILED = "failed"


@dataclass
class StageResult:
    name: str
    outcome: Outcome
    evidence: dict[str, Any] = field(default_factory=dict)
    # Each reason: {"code": stable machine code, "detail": sentence}.
    reasons: list[dict[str, str]] = field(default_factory=list)
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome.value,
            "duration_ms": round(self.duration_ms, 3),
            "reasons": self.reasons,
            "evidence": self.evidence,
        }


@dataclass
class CallContext:
    session: Session
    services: Services
    principal: Principal
    model: AiModel
    kind: str
    request: dict[str, Any]
    # The stored files' SHA-256s (uploads and output), content-addressed in the blob store.
    input_sha256: str | None = None
    mask_sha256: str | None = None
    input_data: bytes | None = None  # restoration input as uploaded: the manifest's parent
    input_media_type: str | None = None
    image: np.ndarray | None = None  # restoration input, uint8 RGB
    mask: np.ndarray | None = None  # restoration mask, bool, True where damaged
    output: np.ndarray | None = None
    output_sha256: str | None = None
    # The labelled file that is stored and served, once the label stage has signed it.
    output_file: bytes | None = None
    # Things the label stage needs before the record exists: the record's row, and the
    # audit index its entry will take (the manifest names both).
    row: ModelCall | None = None
    audit_index: int | None = None
    label: LabelDraft | None = None
    results: list[StageResult] = field(default_factory=list)


def keep_file(call: CallContext, data: bytes) -> str:
    """Stage a file for the call's record, by its SHA-256 (the one hash taken of it); it
    lands on disk only if the request's transaction commits."""
    staged = call.services.blobs.stage(data)
    after_commit(call.session, staged.promote, on_rollback=staged.discard)
    return staged.sha256


class Stage(Protocol):
    """One unit of the pipeline; later stages (screening, explain, label) are more of these."""

    name: str

    def run(self, call: CallContext) -> StageResult: ...


def refused(stage: str, code: str, detail: str, evidence: dict[str, Any]) -> StageResult:
    return StageResult(stage, Outcome.REFUSED, evidence, [{"code": code, "detail": detail}])


def failed(
    stage: str, code: str, detail: str, evidence: dict[str, Any] | None = None
) -> StageResult:
    return StageResult(stage, Outcome.FAILED, evidence or {}, [{"code": code, "detail": detail}])
