"""The errors each operation can answer, declared in the OpenAPI document.

Every error has the same body (`ErrorBody`); which statuses an operation can answer
follows from what it takes: a key (401, 403), parameters or a body (400, 413, 422), an
id in its path, query or body (404), an upload (415), a registration (409), the database
(503).
"""

import re
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from governance.api.deps import get_principal

ERROR_REF = "#/components/schemas/ErrorBody"


class ErrorBody(BaseModel):
    """Every error answer: a stable code to branch on and a sentence for people."""

    error: str = Field(description="stable code, e.g. WorkNotFound or InvalidRequest")
    detail: str = Field(description="what went wrong, in words")


WHY = {
    400: "the request could not be read (a malformed body)",
    401: "no API key, or one that is unknown or revoked",
    403: "the key's role may not do this",
    404: "what the request names does not exist, or is not served to this key",
    409: "it conflicts with what exists (a duplicate, a second retirement)",
    413: "the upload, the image or the input is larger than the service's limits",
    415: "the upload is not an image of a supported format",
    422: "a parameter or the body is invalid (the detail names it)",
    503: "the database stayed busy; retry after the seconds in Retry-After, nothing was kept",
}
# Routes that name something in their query or body rather than their path: a tree
# size or an entry, the model of a call.
NAMED_ELSEWHERE = frozenset(
    {
        "/v1/audit/entries",
        "/v1/audit/proofs/inclusion",
        "/v1/audit/proofs/consistency",
        "/v1/audit/export",
        "/v1/restorations",
        "/v1/generations",
    }
)
# Routes that store something that may exist already.
MAY_CONFLICT = frozenset(
    {
        "/v1/works",
        "/v1/models",
        "/v1/models/{model_id}/retire",
        "/v1/models/{model_id}/twins/{twin_id}/release",
        # A decision on a call that is not pending, or a second one by the same holder.
        "/v1/calls/{call_id:int}/review",
        # A retry of a report that is not failed.
        "/v1/calls/{call_id:int}/report/retry",
    }
)


def declare_errors(router: APIRouter) -> None:
    """Add the error answers to the responses of the router's routes; run before the
    router is included (the app builds its routes' documents from them then)."""
    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for status in sorted(_statuses(route)):
            route.responses.setdefault(status, _response(status))


def _statuses(route: APIRoute) -> set[int]:
    dependant = route.dependant
    statuses: set[int] = set()
    if _needs_key(route):
        statuses |= {401, 403, 503}
    params = dependant.path_params + dependant.query_params + dependant.header_params
    if params or route.body_field is not None:
        statuses |= {422}
    if dependant.path_params or route.path in NAMED_ELSEWHERE:
        statuses |= {404}
    if route.body_field is not None:
        statuses |= {400, 413}
        if _takes_files(route):
            statuses |= {415}
    if route.path in MAY_CONFLICT and "POST" in (route.methods or ()):
        statuses |= {409}
    return statuses


def _needs_key(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dependency = pending.pop()
        if dependency.call is get_principal:
            return True
        pending += dependency.dependencies
    return False


def _takes_files(route: APIRoute) -> bool:
    return any(
        "UploadFile" in repr(field.field_info.annotation) for field in route.dependant.body_params
    )


def _response(status: int) -> dict[str, Any]:
    # JSON whatever the route's own media type (a PNG, a zip, a signed note): the schema
    # is referenced, not given as a model, which FastAPI would file under that type.
    answer: dict[str, Any] = {
        "description": WHY[status],
        "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
    }
    if status == 503:
        answer["headers"] = {
            "Retry-After": {"description": "seconds", "schema": {"type": "integer"}}
        }
    return answer


def install(app: FastAPI) -> None:
    """Serve the document with `ErrorBody` among its schemas."""
    build = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            built = build()
            schemas = built.setdefault("components", {}).setdefault("schemas", {})
            schemas["ErrorBody"] = ErrorBody.model_json_schema()
        return build()

    app.openapi = document  # type: ignore[method-assign]


def allowed_methods(routers: list[APIRouter]) -> list[tuple[re.Pattern[str], set[str]]]:
    """Each route's path pattern and methods, for the Allow header of a 405: Starlette's
    names only the methods of the first route whose path matched."""
    return [
        (route.path_regex, set(route.methods or ()))
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
