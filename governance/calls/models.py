"""The record of every governed call, refused ones included."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Dialect, String
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from governance.calls.status import CallStatus
from rights.models import UTCDateTime, utcnow


class CallStatusType(TypeDecorator[CallStatus]):
    """A status as its text in the database, a CallStatus in Python: a stored value that is
    not a status fails on reading instead of being served."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value: CallStatus | None, dialect: Dialect) -> str | None:
        return None if value is None else CallStatus(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> CallStatus | None:
        return None if value is None else CallStatus(value)


class ModelCall(SQLModel, table=True):
    __tablename__ = "model_calls"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    model_id: int = Field(foreign_key="ai_models.id", index=True)
    actor: str = Field(max_length=100)
    status: CallStatus = Field(sa_column=Column(CallStatusType(), nullable=False, index=True))
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
