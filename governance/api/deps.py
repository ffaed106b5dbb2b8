"""Request-scoped dependencies: the services, the session (one commit per request), the caller."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPBearer
from sqlmodel import Session

from governance.api.auth_first import early_principal
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


class BearerKey(HTTPBearer):
    """Declares the bearer scheme in the OpenAPI document. The header itself is handed to
    `authenticate`, which says what is wrong with a missing or malformed one (HTTPBearer
    would answer its own 403)."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return request.headers.get("Authorization")


bearer_key = BearerKey(
    scheme_name="ApiKey",
    bearerFormat="gov_...",
    description="An API key made by `govern keys create`, sent as `Authorization: Bearer <key>`.",
    auto_error=False,
)


def get_principal(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Security(bearer_key)],
) -> Principal:
    # A request with a body was authenticated before its body was read (auth_first).
    early = early_principal(request.scope)
    return early if early is not None else authenticate(session, authorization)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
