"""Wire shapes of the works API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from governance.detectors.schemas import SyntheticOut
from governance.text import no_nul
from governance.works.nearcopy_schemas import NearCopyOut

Text500 = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(no_nul)]


class WorkMetadata(BaseModel):
    """The `metadata` JSON string sent beside the file when registering a work."""

    # Stripped before the length checks, so "   " is an empty title, not a title.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Text500
    creator: Text500
    license: Text500
    terms: dict[str, Any] = Field(default_factory=dict)


class TermsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    terms: dict[str, Any]


class DisputedWorkOut(BaseModel):
    work_id: int
    holder_id: int
    method: str = Field(description="how the match was found: exact, hash or local_features")
    score: float
    inliers: int


class DisputingWorkOut(BaseModel):
    work_id: int
    holder_id: int
    status: str


class DisputeResolutionOut(BaseModel):
    resolution: str = Field(description="upheld or rejected")
    comment: str
    resolved_by: str
    resolved_at: datetime


class DisputeResolution(BaseModel):
    """An admin's resolution of a disputed work."""

    model_config = ConfigDict(extra="forbid")

    resolution: Literal["upheld", "rejected"]
    comment: Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(no_nul)]


class WorkOut(BaseModel):
    id: int
    holder_id: int
    title: str
    creator: str
    license: str
    terms: dict[str, Any]
    terms_version: int
    terms_effective_from: datetime
    sha256: str
    pixel_sha256: str
    media_type: str
    width: int
    height: int
    byte_size: int
    fingerprints: dict[str, str]
    created_at: datetime
    status: str = Field(
        description="registered; disputed (a near copy of another holder's earlier work: "
        "its terms bind no one until an admin resolves the dispute); upheld (resolved for "
        "this work: its terms bind); rejected (resolved against it: it never binds)"
    )
    binds: bool = Field(description="whether this work's terms bind anyone now")
    disputed_works: list[DisputedWorkOut] = Field(
        description="the other holders' earlier works this work was found to copy"
    )
    disputed_by: list[DisputingWorkOut] = Field(
        description="later works of other holders registered as copies of this one"
    )
    dispute_resolution: DisputeResolutionOut | None
    near_copy_indexed: bool = Field(
        description="whether the work has a near-copy record; works registered before "
        "near copies are matched by their hashes only until `govern works reindex`"
    )
    synthetic: SyntheticOut | None = Field(
        description="what the AI-made-image detectors said of the work at registration"
    )


class WorkPage(BaseModel):
    items: list[WorkOut]
    total: int
    limit: int
    offset: int


class TermsVersionOut(BaseModel):
    version: int
    effective_from: datetime
    terms: dict[str, Any]
    declared: dict[str, Any]
    embedded: dict[str, Any]
    changed_by: str


class TermsHistory(BaseModel):
    work_id: int
    versions: list[TermsVersionOut]


class MatchOut(NearCopyOut):
    """A registered work the image copies (governance.works.nearcopy), with the global
    hashes' distances to it measured in the closer orientation."""

    distance: int = Field(description="pHash + dHash Hamming distance, 0..128; 0 for exact")
    exact: bool = Field(description="same decoded pixels as the registered work")
    orientation: str = Field(description="original or mirrored: the closer by hashes")
    phash_distance: int
    dhash_distance: int


class MatchResult(BaseModel):
    matches: list[MatchOut] = Field(description="best first")


class UsageItem(BaseModel):
    item_id: int
    match: str = Field(description="exact (same file bytes) or perceptual")
    distance: int = Field(description="pHash Hamming distance; 0 for exact")


class UsageOfUse(BaseModel):
    verdict: str = Field(description="the model's verdict for this use, all its data judged")
    work_reasons: list[str] = Field(
        description="why this work's items counted for the use, as the clearance listed them"
    )


class UsageModel(BaseModel):
    model_id: int
    name: str
    version: str
    kind: str
    verdict: str | None = Field(description="the clearance in force; null before any")
    uses: dict[str, UsageOfUse]
    items: list[UsageItem]
    items_total: int


class UsageCall(BaseModel):
    call_id: int
    kind: str
    status: str
    created_at: datetime
    matched: str = Field(description="what of the call matched the work: input")
    refused_because_of_this_work: bool


class WorkUsage(BaseModel):
    work_id: int
    models: list[UsageModel]
    calls: list[UsageCall]
    calls_limit: int
    calls_offset: int
    calls_more: bool = Field(description="more calls lie beyond this page")
