"""Request-scoped dependencies: the services, the session (one commit per request), the caller."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from governance.auth.service import Principal, authenticate
from governance.db import request_session
from governance.services import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """Read without a lock until the service begins writing; commit once when the
    endpoint returns; roll back when it raises."""
    with request_session(services.engine) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a failed
# commit becomes an error response instead of a success that was never stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Principal:
    return authenticate(session, authorization)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
