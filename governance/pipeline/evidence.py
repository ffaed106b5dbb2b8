"""What each stage records: one typed, versioned schema per stage.

Outsiders read these years later (in the call's record and, hashed, in its audit
entry), so a change of shape is a new `schema_version`, recorded beside the evidence.
Stages never read each other's evidence: what they share travels through the context.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from governance.audit.entries import LabelDetails
from governance.works.schemas import MatchOut


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: ClassVar[int] = 1

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class NoEvidence(Evidence):
    """A stage that stopped before it had anything to show."""


class AuthenticateEvidence(Evidence):
    actor: str
    role: str


class ClearanceEvidence(Evidence):
    clearance_id: int
    verdict: str
    audit_index: int | None
    computed_at: str  # ISO 8601, as the clearance row has it


class InputMatch(MatchOut):
    """A registered work the input matches, with its terms in force for restoration."""

    terms_version: int
    terms: dict[str, str]  # use -> allowed / notAllowed / constrained / unknown


class InputRightsEvidence(Evidence):
    matches: list[InputMatch]


class NameWord(BaseModel):
    word: str  # as the registered name writes it
    weight: str  # distinctive, common or initial (rights.names.word_class)


class NamedWork(BaseModel):
    work_id: int
    named: str  # "title" or "creator"
    name: str  # the title or creator as registered
    form: str  # which form of it the prompt uses (rights.names.NameForm)
    key: str  # that form's folded words (looked up run together, as stored)
    matched: str  # the prompt's own text that reads as it
    words: list[NameWord]
    terms: dict[str, str]
    refuses: bool
    flagged: bool  # the work forbids it, but the name's words are too common to refuse on
    why: str


class PromptCheckEvidence(Evidence):
    """Version 2: which form of which name matched, its words weighed, and why."""

    schema_version: ClassVar[int] = 2
    named_works: list[NamedWork]


class ModelEvidence(Evidence):
    model_id: int
    name: str
    version: str
    adapter: str
    weights_sha256: str
    run_ms: float | None = None  # only when the model ran

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class LabelEvidence(Evidence):
    manifest_id: str
    call_audit_index: int
    evidence_sha256: str  # of the stages before the label: what ReservedCode1 names
    details: LabelDetails
    timings_ms: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "manifest_id": self.manifest_id,
            "call_audit_index": self.call_audit_index,
            "evidence_sha256": self.evidence_sha256,
            **self.details.model_dump(mode="json"),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }


class StoreEvidence(Evidence):
    sha256: str
    bytes: int
    media_type: str
