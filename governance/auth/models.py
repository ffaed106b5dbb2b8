"""API keys. Only a SHA-256 of the key is stored: keys are 256-bit random, so no salt is needed."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from rights.models import UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    RIGHTS_HOLDER = "rights_holder"
    OPERATOR = "operator"
    AUDITOR = "auditor"
    CONSERVATOR = "conservator"
    REGULATOR = "regulator"


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    key_sha256: str = Field(max_length=64, unique=True)
    # Set for rights holders: the holder whose works this key may change.
    holder_id: int | None = Field(default=None, foreign_key="rights_holders.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class UiSession(SQLModel, table=True):
    """A web page session: an API key exchanged at /ui/login for a cookie. Only SHA-256
    digests of the cookie's token and of the form token are stored."""

    __tablename__ = "ui_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_sha256: str = Field(max_length=64, unique=True)
    key_id: int = Field(foreign_key="api_keys.id", index=True)
    # Every form of the session carries this token; a post without it is refused.
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
