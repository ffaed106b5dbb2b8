"""The record of every governed call, refused ones included."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from rights.models import UTCDateTime, utcnow


class ModelCall(SQLModel, table=True):
    __tablename__ = "model_calls"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    actor: str = Field(max_length=100)
    status: str = Field(max_length=20, index=True)
    reasons: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    # Each stage in order: name, outcome, evidence.
    stages: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    request: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    input_sha256: str | None = Field(default=None, max_length=64)
    mask_sha256: str | None = Field(default=None, max_length=64)
    output_sha256: str | None = Field(default=None, max_length=64)
    audit_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
