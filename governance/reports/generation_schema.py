"""The JSON of a generation's report, "generation-report/1": what the output resembles.

A change of keys or of their meaning is a new version (and a new committed JSON Schema:
`python -m governance.reports.schema_file`). Numbers are counts and Hamming distances,
and scores derived from counts; the transform's numbers are the matcher's fitted map.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "generation-report/1"

Band = Literal["match", "review", "below"]
Method = Literal["exact", "local_features", "hash", "perceptual_hash"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ModelFacts(Strict):
    model_id: int
    name: str
    version: str
    weights_sha256: str


class OutputFacts(Strict):
    sha256: str = Field(description="of the output file the call itself stored and labelled")
    width: int
    height: int
    flat: bool = Field(description="too little detail to match anything (the matcher's rule)")
    analysed: str


class Asked(Strict):
    prompt: str
    seed: int | None
    width: int | None
    height: int | None


class Basis(Strict):
    """What the report was made against: a rebuild keeps to the same."""

    as_of: datetime = Field(description="when the registry was read: terms in force then")
    max_work_id: int = Field(description="works with ids up to this one were registered")
    works_registered: int = Field(description="works with an id up to max_work_id")
    model_items: int = Field(description="training items of the call's model")


class Thresholds(Strict):
    """The screen's own bars, and how far this report looks beneath them."""

    matcher_version: int
    record_format: int
    vocabulary: str = Field(description="the visual words' id, hex")
    match_min_inliers: int = Field(description="matching points the screen takes for a copy")
    review_min_inliers: int = Field(description="points the screen shows a person")
    listed_min_inliers: int = Field(description="the fewest points the verifier reports")
    candidates_per_pass: int = Field(description="best-voted works verified per pass")
    passes: list[str]
    phash_max: int = Field(description="the service's pHash bar for the same picture")
    dhash_max: int = Field(description="the service's dHash bar, with phash_max")
    phash_radius: int = Field(description="works this close by pHash are measured too")
    hash_bits: int = Field(description="bits in a perceptual hash")


class Box(Strict):
    x: float
    y: float
    width: float
    height: float


class Placement(Strict):
    """Where the work lies in the output, as the matcher's fitted map puts it."""

    work_in_output: Box = Field(description="output pixels")
    output_in_work: Box = Field(description="the part of the work shown, work pixels")
    rotation_degrees: float
    scale: float = Field(description="output pixels per work pixel")
    mirrored: bool
    inverted: bool
    work_fraction: float = Field(description="share of the work's area the output shows")
    output_fraction: float = Field(description="share of the output's area the work fills")


class Term(Strict):
    value: str = Field(description="allowed, notAllowed, constrained or unknown")
    constraint_info: str | None


class TermsInForce(Strict):
    version: int
    effective_from: datetime
    uses: dict[str, Term] = Field(description="every use, as the holder's terms combine")
    allows_generative_use: bool = Field(
        description="ai_generative_training allowed and ai_training not refused: the rule "
        "by which the screen lets a generation copy a work"
    )


class AtCall(Strict):
    """What the call's own screen recorded of this work (on the output before labelling)."""

    method: str
    band: str
    inliers: int
    score: float
    decision: str


class NearWork(Strict):
    rank: int
    work_id: int
    work_url: str = Field(description="who the work is, for keys that may read it")
    band: Band
    method: Method
    matching_points: int = Field(description="0 where no plausible geometry was found")
    score: float = Field(description="points / (points + match_min_inliers); 1 same pixels")
    same_pixels: bool
    phash_distance: int | None = Field(description="bits, closer orientation; null: no hash")
    dhash_distance: int | None
    hash_orientation: str | None
    placement: Placement | None
    terms: TermsInForce
    status: str = Field(description="registered, disputed, upheld or rejected: at as_of")
    binds: bool = Field(description="only registered and upheld works' terms bind anyone")
    at_call: AtCall | None
    reading: str


class NearWorks(Strict):
    k: int
    measured: int = Field(description="candidate works measured one by one")
    listed: list[NearWork] = Field(description="nearest first")
    summary: str
    identity: str = Field(description="why titles and holders are not in the report")


class Dataset(Strict):
    position: int
    name: str
    declared_license: str
    concluded_license: str
    legal_basis: str
    acquired_at: str | None


class LinkedWork(Strict):
    """A registered work the training item is (clearance's link), with its terms."""

    work_id: int
    work_url: str
    match: str = Field(description="exact bytes, or perceptual")
    distance: int
    terms: TermsInForce
    status: str
    binds: bool


class NearItem(Strict):
    rank: int
    item_id: int
    dataset: Dataset
    position: int
    sha256: str
    source: str | None
    phash_distance: int
    orientation: str
    band: Literal["same_picture", "not_close"]
    linked_works: list[LinkedWork]
    reading: str


class NearItems(Strict):
    k: int
    compared: int = Field(description="the model's items with a pHash that is not flat")
    listed: list[NearItem] = Field(description="nearest first")
    summary: str


class Saliency(Strict):
    given: bool
    reason: str


class Verification(Strict):
    compares: str
    tolerance_abs: float = Field(description="a placement number matches within abs + rel")
    tolerance_rel: float
    may_change: list[str] = Field(description="said when changed, never a difference")


class GenerationReport(Strict):
    schema_: Literal["generation-report/1"] = Field(alias="schema")
    call_id: int
    model: ModelFacts
    output: OutputFacts
    asked: Asked
    basis: Basis
    thresholds: Thresholds
    similarity: dict[str, str] = Field(description="what each number means")
    works: NearWorks
    training_items: NearItems
    saliency: Saliency
    verification: Verification
    limits: list[str]


class GenerationComparison(Strict):
    """`govern reports verify` of a generation report."""

    ok: bool
    differences: list[str]
    changed_since: list[str]
