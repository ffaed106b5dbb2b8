"""What each stage records: one typed, versioned schema per stage.

Outsiders read these years later (in the call's record and, hashed, in its audit
entry), so a change of shape is a new `schema_version`, recorded beside the evidence.
Stages never read each other's evidence: what they share travels through the context.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from governance.audit.entries import LabelDetails
from governance.detectors.schemas import SyntheticOut
from governance.screening.schemas import MatcherVersions
from governance.works.nearcopy_schemas import NearCopyOut
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
    """A registered work the input matches (the near-copy matcher: method, band, score,
    inliers, transform), with its terms in force for restoration."""

    terms_version: int
    terms: dict[str, str]  # use -> allowed / notAllowed / constrained / unknown
    binds: bool  # false while the work is disputed or after its claim was rejected


class InputRightsEvidence(Evidence):
    """Version 2: matches by the near-copy matcher, each with its transform and whether
    the work's terms bind."""

    schema_version: ClassVar[int] = 2
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


class ScreenedWork(NearCopyOut):
    """A registered work the output resembles, and what its terms made of that."""

    terms_version: int
    terms: dict[str, str]  # ai_generative_training, ai_training -> value
    status: str  # registered, disputed, upheld, rejected: only registered and upheld bind
    # refused (a copy the terms forbid), flagged (a resemblance in the review band),
    # allowed (the terms permit generative use), not_binding (disputed), recorded
    # (a restoration's output: its input's rights were judged before the model ran)
    decision: str


class ChangedRegion(BaseModel):
    x: int
    y: int
    width: int
    height: int
    pixels: int


class ChangeMap(BaseModel):
    """The changed pixels, kept with the call's files (as its input and mask are)."""

    sha256: str
    media_type: str  # image/png: 1 bit a pixel, white where a pixel changed
    width: int
    height: int


class OutsideMaskCheck(BaseModel):
    """The restoration's model output against its input, before any label is added."""

    dilation_px: int
    tolerance_grey_levels: int  # a change of more than this, in any channel, counts
    checked_pixels: int  # outside the grown mask
    changed_pixels: int
    changed_fraction: float
    regions: list[ChangedRegion]  # connected, in output pixels; the largest few
    regions_total: int
    map: ChangeMap | None  # none when nothing changed


class LabelMarks(BaseModel):
    """What the label stage, after this one, changes in the pixels: its own marks."""

    watermark_alg: str
    watermark_lattice_step_grey_levels: float
    # The largest change to a pixel seen on four photographs (bench/bench_screen.py): a
    # measurement, not a bound; the same offset goes to R, G and B.
    watermark_measured_max_change_grey_levels: int
    visible_label: str  # where one is drawn: the label stage's evidence records its box


class ScreenEvidence(Evidence):
    """Version 2: `versions` name the near-copy search (`nearcopy_matcher`)."""

    schema_version: ClassVar[int] = 2
    near_copies: list[ScreenedWork]  # best first
    synthetic: SyntheticOut  # evidence, never a refusal
    outside_mask: OutsideMaskCheck | None  # restorations only
    label_marks: LabelMarks
    versions: MatcherVersions
    timings_ms: dict[str, float]
