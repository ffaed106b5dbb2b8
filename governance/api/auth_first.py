"""Refuse a request with a body before reading the body, unless its key is good (or, for
a web page's form, its session)."""

import re

from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from governance.api.ui.errors import is_page, ui_error
from governance.api.ui.render import COOKIE
from governance.auth.service import Principal, authenticate
from governance.auth.ui_sessions import page_caller
from governance.db import is_busy, request_session
from governance.errors import BUSY, DatabaseBusy, GovernError, error_body
from governance.services import Services

# Methods whose requests carry a body (an upload of up to GOVERN_MAX_UPLOAD_BYTES); every
# such route needs a key.
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
Routes = list[tuple[re.Pattern[str], set[str]]]
PRINCIPAL = "principal"
# The one page form posted without a session: the key is what it carries.
SIGN_IN = "/ui/login"


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
        if scope["type"] != "http" or scope["method"] not in WITH_BODY:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if is_page(request) and scope["path"] != SIGN_IN:
            # A page's upload is read only for a live session; the page's own dependency
            # then checks the form token and acts as the session's key.
            try:
                await run_in_threadpool(self._page_caller, request.cookies.get(COOKIE))
            except Exception as exc:
                refusal = _as_refusal(exc)
                await ui_error(request, refusal)(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        if not self._routed(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization")
        try:
            principal = await run_in_threadpool(self._authenticate, authorization)
        except Exception as exc:
            # Answered without reading the body; the server drops what is left of it.
            await _refuse(_as_refusal(exc), scope, receive, send)
            return
        scope.setdefault("state", {})[PRINCIPAL] = principal
        await self.app(scope, receive, send)

    def _routed(self, method: str, path: str) -> bool:
        return any(method in methods and p.match(path) for p, methods in self.routes)

    def _authenticate(self, authorization: str | None) -> Principal:
        with request_session(self.services.engine) as session:
            return authenticate(session, authorization)

    def _page_caller(self, token: str | None) -> None:
        with request_session(self.services.engine) as session:
            page_caller(session, token)


def _as_refusal(exc: Exception) -> GovernError:
    """The refusal to answer: the key's or session's own, or busy; anything else is a bug
    for the bug handler."""
    if isinstance(exc, GovernError):
        return exc
    if is_busy(exc):
        return DatabaseBusy(BUSY)
    raise exc


async def _refuse(exc: GovernError, scope: Scope, receive: Receive, send: Send) -> None:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, DatabaseBusy) else None
    answer = JSONResponse(error_body(exc.code, exc.detail), exc.status, headers=headers)
    await answer(scope, receive, send)


def early_principal(scope: Scope) -> Principal | None:
    found = scope.get("state", {}).get(PRINCIPAL)
    return found if isinstance(found, Principal) else None
