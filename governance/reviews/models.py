"""Conservators' decisions on pending outputs."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from rights.models import UTCDateTime, utcnow


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class CallReview(SQLModel, table=True):
    __tablename__ = "call_reviews"

    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="model_calls.id", index=True)
    reviewer_key_id: int = Field(foreign_key="api_keys.id")
    # The holder behind the key (keys of one person or office share it): one decision
    # per holder and call, and never on a call the same holder made.
    reviewer: str = Field(max_length=200)
    decision: str = Field(max_length=10)  # a Decision value
    comment: str = Field(sa_column=Column(Text, nullable=False))
    # [{"x", "y", "width", "height", "note"}] in the output's pixels.
    regions: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    # The report the decision was made on (CallReport.report_sha256 at the time).
    report_sha256: str = Field(max_length=64)
    audit_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    decided_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
