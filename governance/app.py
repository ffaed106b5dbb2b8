"""The app factory: settings, storage, routers and the one error handler."""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from governance.aimodels.service import register_builtin_models
from governance.api import (
    audit,
    calls,
    docs,
    evidence,
    health,
    labels,
    models,
    openapi,
    reports,
    reviews,
    screen,
    works,
)
from governance.api.auth_first import AuthenticateFirst
from governance.api.headers import NOSNIFF, SecurityHeaders
from governance.api.limits import BodySizeLimit
from governance.api.ui.errors import is_page, ui_error
from governance.api.ui.render import error_page
from governance.api.ui.routes import router as ui_router
from governance.api.ui.routes import static_files as ui_static_files
from governance.db import is_busy
from governance.errors import BUSY, DatabaseBusy, GovernError, error_body
from governance.services import Services, build_services, load_indexes
from governance.settings import Settings, get_settings

log = logging.getLogger("governance")

_HTTP_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "FileTooLarge",
    415: "UnsupportedMediaType",
}


def _lifespan(services: Services) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # The works' indexes load before the server takes its first request, so it is
        # never healthy (nor matching) on a half-loaded index.
        await anyio.to_thread.run_sync(load_indexes, services)
        yield

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    services = build_services(settings)
    if settings.register_builtin_models:
        register_builtin_models(services)
    app = FastAPI(
        lifespan=_lifespan(services),
        title="Provenance-aware content governance",
        version="0.1.0",
        description="Rights, labels, screening and audit for AI models that make or "
        "change images of heritage collections.",
        # /docs is served from the package (api/docs.py); ReDoc would need a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    domains = (health, works, audit, models, calls, reports, reviews, evidence, labels, screen)
    routers = [m.router for m in domains]
    for router in routers:
        openapi.declare_errors(router)
        app.include_router(router)
    app.include_router(docs.router)
    app.include_router(ui_router)
    app.mount("/ui/static", ui_static_files(), name="ui-static")
    app.state.route_methods = openapi.allowed_methods(routers)
    openapi.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    # Outside the size limit: an unauthenticated upload is refused before any of it is read.
    app.add_middleware(AuthenticateFirst, services=services, routes=app.state.route_methods)
    # Added last, so outermost: it also sees the answers BodySizeLimit sends itself.
    app.add_middleware(SecurityHeaders)
    _install_error_handlers(app)
    return app


def _allow(request: Request) -> str:
    path = request.url.path
    methods: set[str] = set()
    for pattern, route_methods in request.app.state.route_methods:
        if pattern.match(path):
            methods |= route_methods
    return ", ".join(sorted(methods))


def _install_error_handlers(app: FastAPI) -> None:
    # A page request (/ui/) gets the same status, code and sentence as a page, and a
    # request without a live session is sent to sign in.
    @app.exception_handler(GovernError)
    async def _govern_error(request: Request, exc: GovernError) -> Response:
        if is_page(request):
            return ui_error(request, exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, DatabaseBusy) else None
        return JSONResponse(
            error_body(exc.code, exc.detail), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        if is_page(request):
            return error_page(request, 422, "InvalidRequest", "; ".join(parts))
        return JSONResponse(error_body("InvalidRequest", "; ".join(parts)), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "HttpError")
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allow(request)}
        if is_page(request):
            response = error_page(request, exc.status_code, code, str(exc.detail))
            response.headers.update(headers or {})
            return response
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_error(request: Request, exc: Exception) -> Response:
        if is_busy(exc):
            return await _govern_error(request, DatabaseBusy(BUSY))
        raise exc  # a broken database, not a busy one: the bug handler below answers

    @app.exception_handler(Exception)
    async def _bug(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        # Sent from outside every middleware (Starlette's ServerErrorMiddleware), so the
        # header SecurityHeaders adds elsewhere is set here.
        return JSONResponse(
            error_body("InternalError", "the service failed; this is a bug and was logged"),
            status_code=500,
            headers=NOSNIFF,
        )
