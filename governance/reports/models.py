"""A call's restoration report as a job, and the once-per-weights explanation checks."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from rights.models import UTCDateTime, utcnow


class ReportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"


class CallReport(SQLModel, table=True):
    """One row per call that has (or will have) a report; the job's state lives here, so
    a restart or a second worker finds it and a ready report is never made twice."""

    __tablename__ = "call_reports"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="model_calls.id", unique=True)
    state: str = Field(max_length=20, index=True)  # a ReportState value
    attempts: int = 0
    # Why the last attempt failed, in words (state failed), else None.
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The JSON bytes served by GET /v1/calls/{id}/report, kept as a blob by this SHA-256.
    report_sha256: str | None = Field(default=None, max_length=64)
    # name -> {"sha256", "media_type", "size"}: the HTML page, figures and raw maps.
    files: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The report.ready entry.
    audit_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    queued_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    started_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class ExplainCheck(SQLModel, table=True):
    """The cascading parameter-randomisation check of one set of restorer weights: run once
    per weights, cited by every report made with them."""

    __tablename__ = "explain_checks"

    id: int | None = Field(default=None, primary_key=True)
    weights_sha256: str = Field(max_length=64, unique=True)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    # explain.schemas RandomisationCheck as JSON; its SHA-256 is what reports cite.
    result: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    result_sha256: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
