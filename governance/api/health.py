"""Liveness and readiness."""

from fastapi import APIRouter

from governance.api.deps import SessionDep
from governance.db import ping

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> dict[str, str]:
    ping(session)
    return {"status": "ok"}
