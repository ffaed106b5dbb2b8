"""Tables owned by the rights library."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Float,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite keeps no offset, so it is restored here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class RightsHolder(SQLModel, table=True):
    __tablename__ = "rights_holders"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Work(SQLModel, table=True):
    __tablename__ = "works"

    id: int | None = Field(default=None, primary_key=True)
    holder_id: int = Field(foreign_key="rights_holders.id", index=True)
    title: str = Field(max_length=500)
    creator: str = Field(max_length=500)
    license: str = Field(max_length=500)
    sha256: str = Field(max_length=64, index=True)
    # Unique: the same pixels are one work, whatever file they came in.
    pixel_sha256: str = Field(max_length=64, unique=True)
    media_type: str = Field(max_length=50)
    width: int
    height: int
    byte_size: int
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # registered, or a near-copy of another holder's work: disputed until an admin
    # resolves it, upheld or rejected (rights.disputes). Only registered and upheld
    # works' terms bind anyone.
    status: str = Field(
        default="registered",
        sa_column=Column(String(20), nullable=False, server_default="registered"),
    )
    # How an admin resolved the dispute (resolution, comment, by whom, when).
    dispute: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    # What the AI-made-image detectors said of the work at registration (SyntheticOut).
    synthetic: dict[str, Any] | None = Field(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )


class WorkDispute(SQLModel, table=True):
    """A registered work's match to an earlier work of another holder: the claim the
    later work is disputed for. Only added, like the works they link."""

    __tablename__ = "work_disputes"

    id: int | None = Field(default=None, primary_key=True)
    work_id: int = Field(foreign_key="works.id", index=True)  # the later, disputed work
    other_work_id: int = Field(foreign_key="works.id", index=True)
    method: str = Field(max_length=20)  # how it matched (nearcopy_schemas.MatchMethod)
    score: float = Field(sa_column=Column(Float, nullable=False))
    inliers: int


class WorkNearCopy(SQLModel, table=True):
    """A work's near-copy record (rights.nearcopy: features and visual words) and the
    reduced copy of its pixels that alterations are measured against.

    Rows are only added (one per work, with the vocabulary that made its words), so the
    index loads them by `id`, not by work: a backfill adds rows for old works, with new
    ids, that a running service then picks up like any new one."""

    __tablename__ = "work_near_copies"

    id: int | None = Field(default=None, primary_key=True)
    work_id: int = Field(foreign_key="works.id", unique=True)
    vocabulary_id: str = Field(max_length=16)  # hex of rights.nearcopy's 8-byte id
    # What the word index keeps (rights.nearcopy.Postings, about 4 KB) and the full
    # record verification reads (WorkRecord, about 20 KB).
    postings: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    record: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The work's pixels reduced to ANALYSIS_SIDE (lossless WebP in the blob store).
    analysis_sha256: str = Field(max_length=64)
    analysis_width: int
    analysis_height: int


class WorkTermsVersion(SQLModel, table=True):
    """One row per change of terms; the terms in force at t are the last version before t."""

    __tablename__ = "work_terms_versions"
    __table_args__ = (UniqueConstraint("work_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    work_id: int = Field(foreign_key="works.id", index=True)
    version: int
    effective_from: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    declared: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    embedded: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    effective: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changed_by: str = Field(max_length=100)


class WorkFingerprint(SQLModel, table=True):
    """Perceptual hashes; rows only ever added, so the index loads them by id."""

    __tablename__ = "work_fingerprints"

    id: int | None = Field(default=None, primary_key=True)
    work_id: int = Field(foreign_key="works.id", index=True)
    kind: str = Field(max_length=20)
    orientation: str = Field(max_length=20)
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class WorkName(SQLModel, table=True):
    """A work's title and creator, normalised (rights.names), one row per usual form of
    the name ("Vermeer, Johannes", "J. Vermeer"), so that a prompt naming either is found
    by an index lookup, whatever the number of works."""

    __tablename__ = "work_names"

    id: int | None = Field(default=None, primary_key=True)
    work_id: int = Field(foreign_key="works.id", index=True)
    kind: str = Field(max_length=10)
    key: str = Field(max_length=500, index=True)
