"""Liveness and readiness: healthy once the database answers and the works' indexes
are loaded (at start-up, before the server takes requests)."""

from fastapi import APIRouter

from governance.api.deps import ServicesDep, SessionDep
from governance.services import check_ready

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep, services: ServicesDep) -> dict[str, str]:
    check_ready(session, services)
    return {"status": "ok"}
