"""What a near-copy match says, as the API answers it and as call evidence records it.

Shared by the works domain (which finds the matches), the screen stage and `/v1/screen`.
Recorded in call evidence and read years later: a change of shape is a new evidence
schema version where it is recorded.
"""

from enum import StrEnum

from pydantic import BaseModel, Field


class MatchMethod(StrEnum):
    EXACT = "exact"  # the same decoded pixels as the registered work
    HASH = "hash"  # global perceptual hashes (pHash + dHash), confirmed geometrically
    LOCAL_FEATURES = "local_features"  # visual words, then RANSAC over ORB keypoints


class MatchBand(StrEnum):
    MATCH = "match"  # a copy: enough verified inliers to act on
    REVIEW = "review"  # a partial resemblance: a person looks; nothing is refused on it


class BoxOut(BaseModel):
    x: float
    y: float
    width: float
    height: float


class TransformOut(BaseModel):
    """How the work appears in the query (rights.nearcopy.Transform)."""

    rotation_degrees: float = Field(description="counterclockwise as seen, in (-180, 180]")
    scale: float = Field(description="query pixels per work pixel")
    mirrored: bool
    inverted: bool = Field(description="the query is a negative of the work")
    query_in_work: BoxOut = Field(description="the part of the work the query shows, work pixels")
    work_in_query: BoxOut = Field(description="where the work lies in the query, query pixels")
    work_fraction: float
    query_fraction: float


class RegionOut(BaseModel):
    """An altered region, in the query's pixels."""

    x: int
    y: int
    width: int
    height: int
    score: float = Field(description="the region's largest difference, 0-1")


class NearCopyOut(BaseModel):
    work_id: int
    score: float = Field(
        description="0-1; 0.5 at the bar a copy must pass (inliers / (inliers + 12)); 1.0 "
        "for the same pixels; 0.5 for a hash match that could not be verified"
    )
    method: MatchMethod
    band: MatchBand
    inliers: int
    transform: TransformOut | None = Field(
        description="null where the match was not verified geometrically: the same pixels, "
        "or hashes within the service's thresholds on a work with no near-copy record yet "
        "(registered before near copies) or too little texture to verify (then inliers is 0)"
    )
    altered: bool | None = Field(
        description="null when the work's pixels could not be compared (no verified "
        "transform, no stored reduced copy, or not asked for)"
    )
    altered_fraction: float | None
    altered_regions: list[RegionOut]
