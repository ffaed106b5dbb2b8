"""`/v1/labels/ca.pem`, `/v1/manifests`, `/v1/matches`, `/v1/verify`: labels and their checks."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.headers import served_file_headers
from governance.api.params import OneFile, read_upload
from governance.credentials import service
from governance.credentials import verify_file as file_verification
from governance.credentials.report import VerifyReport
from governance.credentials.schemas import BindingAlgorithm, ManifestMatches

router = APIRouter(prefix="/v1", tags=["labels"])


@router.get("/labels/ca.pem", response_class=Response)
def ca_pem(services: ServicesDep) -> Response:
    """The signing chain's root (public): pin it as a C2PA trust anchor to verify outputs."""
    return Response(content=service.ca_pem(services), media_type="application/x-pem-file")


@router.get("/manifests/{manifest_id}", response_class=Response)
def get_manifest(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    manifest_id: Annotated[str, Path(min_length=1, max_length=100)],
) -> Response:
    """The manifest store as signed (application/c2pa), for a copy whose metadata was lost."""
    data, call_status = service.get_manifest(session, services, principal, manifest_id)
    return Response(
        content=data, media_type="application/c2pa", headers=served_file_headers(call_status)
    )


@router.get("/matches/byBinding", response_model=ManifestMatches, response_model_by_alias=True)
def match_binding(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    alg: Annotated[BindingAlgorithm, Query(description="the binding's algorithm")],
    value: Annotated[str, Query(min_length=1, max_length=200)],
    max_results: Annotated[int, Query(alias="maxResults", ge=1, le=100)] = 10,
) -> ManifestMatches:
    """Manifests carrying this soft binding (a watermark id or a fingerprint)."""
    return service.match_binding(session, services, principal, alg.value, value, max_results)


@router.post("/matches/byContent", response_model=ManifestMatches, response_model_by_alias=True)
def match_content(
    session: SessionDep,
    services: ServicesDep,
    principal: PrincipalDep,
    file: OneFile,
    max_results: Annotated[int, Query(alias="maxResults", ge=1, le=100)] = 10,
) -> ManifestMatches:
    """Manifests of the outputs this file shows: its watermark, else its fingerprint."""
    data = read_upload(file, services.settings)
    return service.match_content(session, services, principal, data, max_results)


@router.post("/verify", response_model=VerifyReport)
def verify_file(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, file: OneFile
) -> VerifyReport:
    """A label and conformance report for any image: C2PA state, AI disclosure, implicit
    labels, soft bindings, the service's record, and EU Art. 50 / GB 45438 checks."""
    data = read_upload(file, services.settings)
    name = file[0].filename or ""
    return file_verification.verify(session, services, principal.role, data, name)


# The page holds no script and loads nothing; should any text from the file ever escape
# its escaping, the browser still runs nothing and fetches nothing.
REPORT_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "Cache-Control": "private, no-store",
}


@router.post(
    "/verify/report.html",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}, "description": "A printable report."}},
)
def verify_file_page(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, file: OneFile
) -> HTMLResponse:
    """The same report as `POST /v1/verify`, as a printable HTML page."""
    data = read_upload(file, services.settings)
    name = file[0].filename or ""
    page = file_verification.verify_page(session, services, principal.role, data, name)
    return HTMLResponse(page, headers=REPORT_PAGE_HEADERS)
