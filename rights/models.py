"""Tables owned by the rights library."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Dialect, UniqueConstraint
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
