"""The app factory: settings, storage, routers and the one error handler."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from governance.aimodels.service import register_builtin_models
from governance.api import audit, calls, health, labels, models, works
from governance.api.headers import NOSNIFF, SecurityHeaders
from governance.api.limits import BodySizeLimit
from governance.db import is_busy
from governance.errors import DatabaseBusy, GovernError
from governance.services import build_services
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


_BUSY = "the database was busy and nothing was kept; retry after the time in Retry-After"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    services = build_services(settings)
    if settings.register_builtin_models:
        register_builtin_models(services)
    app = FastAPI(
        title="Provenance-aware content governance",
        version="0.1.0",
        description="Rights, labels, screening and audit for AI models that make or "
        "change images of heritage collections.",
    )
    app.state.services = services
    app.include_router(health.router)
    app.include_router(works.router)
    app.include_router(audit.router)
    app.include_router(models.router)
    app.include_router(calls.router)
    app.include_router(labels.router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    # Added last, so outermost: it also sees the answers BodySizeLimit sends itself.
    app.add_middleware(SecurityHeaders)
    _install_error_handlers(app)
    return app


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(GovernError)
    async def _govern_error(_: Request, exc: GovernError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, DatabaseBusy) else None
        return JSONResponse(
            error_body(exc.code, exc.detail), status_code=exc.status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "request"
            parts.append(f"{where}: {error.get('msg', 'invalid')}")
        return JSONResponse(error_body("InvalidRequest", "; ".join(parts)), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HttpError")
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeout)
    async def _database_error(request: Request, exc: Exception) -> JSONResponse:
        if is_busy(exc):
            return await _govern_error(request, DatabaseBusy(_BUSY))
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
