"""The pages' router and their static files, assembled for the app (kept apart from the
package's __init__, which the API's middleware imports for the pages' error answers)."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from governance.api.ui import audit, calls, reviews, sign_in, verify, works

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(prefix="/ui", include_in_schema=False)
for module in (sign_in, audit, calls, reviews, works, verify):
    router.include_router(module.router)


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC)
