"""Wire shapes of the review queue and conservators' decisions."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from governance.calls.status import CallStatus
from governance.text import no_nul

# Regions are boxes in the output's own pixels; the service checks them against its size.
MAX_REGIONS = 50
MAX_COMMENT = 4000
MAX_NOTE = 500
Coordinate = Annotated[int, Field(ge=0, le=65535)]
Side = Annotated[int, Field(ge=1, le=65535)]


class RegionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    x: Coordinate
    y: Coordinate
    width: Side
    height: Side
    note: Annotated[str, Field(max_length=MAX_NOTE), AfterValidator(no_nul)] = ""


class ReviewIn(BaseModel):
    """A conservator's decision on a pending output."""

    model_config = ConfigDict(extra="forbid", strict=True)

    decision: Literal["approve", "reject"]
    comment: Annotated[str, Field(max_length=MAX_COMMENT), AfterValidator(no_nul)] = ""
    regions: list[RegionIn] = Field(default_factory=list, max_length=MAX_REGIONS)


class Region(BaseModel):
    x: int
    y: int
    width: int
    height: int
    note: str


class ReleasedOut(BaseModel):
    manifest_id: str
    output_sha256: str
    manifest_store_sha256: str
    manifest_url: str


class ReviewOut(BaseModel):
    id: int
    call_id: int
    reviewer: str = Field(description="the holder behind the reviewing key")
    reviewer_key_id: int
    decision: Literal["approve", "reject"]
    comment: str
    regions: list[Region]
    report_sha256: str = Field(description="the report the decision was made on")
    audit_index: int = Field(description="its review.decided entry")
    decided_at: datetime


class DecisionOut(ReviewOut):
    """A decision as answered to its reviewer: with what it did to the call."""

    status: CallStatus = Field(description="the call's status after this decision")
    released: ReleasedOut | None = Field(description="set on the decision that released it")


class ReportState(BaseModel):
    state: str = Field(description="queued, running, ready or failed")
    report_sha256: str | None
    reason: str | None


class Flag(BaseModel):
    stage: str
    code: str
    detail: str


class QueuedCall(BaseModel):
    call_id: int
    kind: str
    created_at: datetime
    flags: list[Flag] = Field(description="what the stages flagged; empty: reviewed by rule")
    report: ReportState | None = Field(description="null: no report was queued for the call")
    approvals: int
    approvals_needed: int
    call_url: str
    output_url: str


class ReviewQueue(BaseModel):
    calls: list[QueuedCall]


class CallReviews(BaseModel):
    call_id: int
    status: CallStatus
    approvals: int
    approvals_needed: int
    reviews: list[ReviewOut]
