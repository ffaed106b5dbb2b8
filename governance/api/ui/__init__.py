"""The web pages under /ui/: server-rendered, served from the package (no CDN, no build
step), acting through the same service functions as the API, as the signed-in key."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from governance.api.ui import sign_in

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(prefix="/ui", include_in_schema=False)
for module in (sign_in,):
    router.include_router(module.router)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC)
