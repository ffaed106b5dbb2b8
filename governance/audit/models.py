"""Audit log tables. Rows are only ever inserted (PostgreSQL and SQLite triggers refuse
UPDATE and DELETE); `govern audit check` finds rows changed behind the triggers' back."""

from datetime import datetime

from sqlalchemy import BigInteger, Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from rights.models import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"

    # The leaf index: the log's size when the entry was appended, never a sequence.
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    kind: str = Field(max_length=50)
    subject: str = Field(max_length=100, index=True)
    actor: str = Field(max_length=100)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # RFC 8785 canonical JSON: exactly the bytes the leaf hash covers.
    entry: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditNode(SQLModel, table=True):
    """Hashes of perfect subtrees (level 0: leaves), so proofs never rescan the leaves."""

    __tablename__ = "audit_nodes"

    level: int = Field(primary_key=True)
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    """A signed tree head, written by every transaction that appended."""

    __tablename__ = "audit_checkpoints"

    size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
