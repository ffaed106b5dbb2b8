"""The manifest repository: one row per labelled output, found by manifest id, watermark
or fingerprint (the soft bindings that survive metadata stripping)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from rights.models import UTCDateTime, utcnow


class OutputLabel(SQLModel, table=True):
    __tablename__ = "output_labels"

    id: int | None = Field(default=None, primary_key=True)
    manifest_id: str = Field(max_length=100, unique=True)
    call_id: int = Field(foreign_key="model_calls.id", index=True)
    # None when the output was too small to carry a watermark.
    watermark_id: str | None = Field(default=None, max_length=32, unique=True)
    # pHash and dHash of the labelled pixels (signed 64-bit, as the works registry keeps them).
    phash: int = Field(sa_column=Column(BigInteger, nullable=False))
    dhash: int = Field(sa_column=Column(BigInteger, nullable=False))
    output_sha256: str = Field(max_length=64, index=True)
    # The manifest store as signed, kept so a stripped copy can be checked against it.
    manifest_store_sha256: str = Field(max_length=64)
    # What was labelled: implicit label fields, visible label, digital source type.
    details: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # The call's own audit entry (named in the manifest) and the label's entry.
    call_audit_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    audit_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
