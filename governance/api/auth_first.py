"""Refuse a request with a body before reading the body, unless its key is good."""

import re

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from governance.auth.service import Principal, authenticate
from governance.db import is_busy, request_session
from governance.errors import BUSY, DatabaseBusy, GovernError, error_body
from governance.services import Services

# Methods whose requests carry a body (an upload of up to GOVERN_MAX_UPLOAD_BYTES); every
# such route needs a key.
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
Routes = list[tuple[re.Pattern[str], set[str]]]
PRINCIPAL = "principal"


class AuthenticateFirst:
    """FastAPI reads and parses a request's body before its dependencies run, so without
    this an unauthenticated client could make the service read 50 MB before its 401. The
    key is checked from the headers alone; the principal found is handed to the endpoint's
    dependency (`early_principal`), so the key is looked up once."""

    def __init__(self, app: ASGIApp, services: Services, routes: Routes) -> None:
        self.app = app
        self.services = services
        # Only requests a route takes: any other is the router's 404 or 405, not a 401.
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WITH_BODY
            or not self._routed(scope["method"], scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization")
        try:
            principal = await run_in_threadpool(self._authenticate, authorization)
        except GovernError as exc:
            # Answered without reading the body; the server drops what is left of it.
            await _refuse(exc, scope, receive, send)
            return
        except Exception as exc:
            if not is_busy(exc):
                raise
            await _refuse(DatabaseBusy(BUSY), scope, receive, send)
            return
        scope.setdefault("state", {})[PRINCIPAL] = principal
        await self.app(scope, receive, send)

    def _routed(self, method: str, path: str) -> bool:
        return any(method in methods and p.match(path) for p, methods in self.routes)

    def _authenticate(self, authorization: str | None) -> Principal:
        with request_session(self.services.engine) as session:
            return authenticate(session, authorization)


async def _refuse(exc: GovernError, scope: Scope, receive: Receive, send: Send) -> None:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, DatabaseBusy) else None
    answer = JSONResponse(error_body(exc.code, exc.detail), exc.status, headers=headers)
    await answer(scope, receive, send)


def early_principal(scope: Scope) -> Principal | None:
    found = scope.get("state", {}).get(PRINCIPAL)
    return found if isinstance(found, Principal) else None
