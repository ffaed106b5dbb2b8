"""Request-scoped dependencies: settings, the session (one commit per request), the caller."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from governance.auth.service import Principal, authenticate
from governance.blobs import BlobStore
from governance.db import unit_of_work
from governance.settings import Settings
from rights.match_index import MatchIndex


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """Commit once when the endpoint returns; roll back when it raises."""
    with unit_of_work(request.app.state.engine) as session:
        yield session


def get_blobs(request: Request) -> BlobStore:
    blobs: BlobStore = request.app.state.blobs
    return blobs


def get_match_index(request: Request) -> MatchIndex:
    index: MatchIndex = request.app.state.match_index
    return index


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
# scope="function": the commit happens before the response is sent, so a failed
# commit becomes an error response instead of a success that was never stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
BlobsDep = Annotated[BlobStore, Depends(get_blobs)]
MatchIndexDep = Annotated[MatchIndex, Depends(get_match_index)]


def get_principal(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    return authenticate(session, authorization)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
