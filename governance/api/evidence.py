"""One bundle per output: the call, its report, reviews, manifests and proofs (issue 13)."""

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from governance.api.deps import PrincipalDep, ServicesDep, SessionDep
from governance.api.params import MAX_ID
from governance.calls.evidence import evidence_for

router = APIRouter(prefix="/v1", tags=["evidence"])
CallId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/calls/{call_id:int}/evidence",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The bundle."}},
)
def get_evidence(
    session: SessionDep, services: ServicesDep, principal: PrincipalDep, call_id: CallId
) -> Response:
    """The call's evidence as one zip (auditor, regulator, admin): its record, report and
    report files, decisions, manifests, and its audit entries with inclusion proofs
    against a signed checkpoint; `govern audit verify` checks it offline."""
    data = evidence_for(session, services, principal, call_id)
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="call-{call_id}-evidence.zip"',
            # A later decision or report changes it.
            "Cache-Control": "private, no-store",
        },
    )
