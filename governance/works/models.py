"""Where registered works were seen after registration: near copies found in governed
calls' outputs (the screen stage) and in files anyone screened (`POST /v1/screen`)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Float
from sqlmodel import Field, SQLModel

from rights.models import UTCDateTime, utcnow


class WorkSighting(SQLModel, table=True):
    """One near copy of a work in one file or output. Only added: a sighting is what was
    seen then, by the matcher of then (its versions are in the call's evidence or the
    screen's answer)."""

    __tablename__ = "work_sightings"

    id: int | None = Field(default=None, primary_key=True)
    work_id: int = Field(foreign_key="works.id", index=True)
    source: str = Field(max_length=10)  # "call" or "screen" (works.sightings.Source)
    call_id: int | None = Field(default=None, foreign_key="model_calls.id", index=True)
    # The screened file's SHA-256; null for a call, whose output exists only once the
    # call keeps one (then it is the call's output_sha256).
    file_sha256: str | None = Field(default=None, max_length=64)
    score: float = Field(sa_column=Column(Float, nullable=False))
    method: str = Field(max_length=20)  # nearcopy_schemas.MatchMethod
    band: str = Field(max_length=10)  # nearcopy_schemas.MatchBand
    # Null where the work's pixels could not be compared (no verified transform).
    altered: bool | None = None
    altered_fraction: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    # works.sightings.SightingRegions: the transform and the altered regions, versioned.
    regions: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    seen_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
