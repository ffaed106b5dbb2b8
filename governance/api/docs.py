"""`/docs`: Swagger UI with its scripts and styles served from the installed package, so
the page works on a machine with no internet (FastAPI's default loads them from a CDN)."""

from importlib import resources

from fastapi import APIRouter, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

# The files fastapi-swagger ships (Swagger UI 5, which reads OpenAPI 3.1), by URL name.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}
# The files belong to the installed version: a day's caching is safe.
ASSET_CACHE = {"Cache-Control": "public, max-age=86400"}


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=f"{request.app.title}: API",
        swagger_js_url=f"{root}/docs/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/docs/swagger-ui.css",
        swagger_favicon_url=f"{root}/docs/favicon-32x32.png",
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get("/docs/{asset}")
def swagger_asset(asset: str) -> Response:
    media_type = ASSETS.get(asset)
    if media_type is None:
        raise HTTPException(404, f"no such file: {asset}")
    data = resources.files("fastapi_swagger").joinpath("resources", asset).read_bytes()
    return Response(content=data, media_type=media_type, headers=ASSET_CACHE)
