"""Reading governed calls back: their records and, to whom their status allows, outputs."""

from sqlmodel import Session, select

from governance.aimodels.models import AiModel
from governance.auth.service import Principal, require_role
from governance.calls.models import ModelCall
from governance.calls.schemas import CallOut, ModelRef
from governance.calls.status import CALL_READERS, CallStatus, keeps_output, may_read_output
from governance.errors import CallNotFound, Forbidden, NoOutput
from governance.reports.models import CallReport
from governance.reports.schemas import report_ref
from governance.services import Services


def _call_or_404(session: Session, call_id: int) -> ModelCall:
    row = session.get(ModelCall, call_id)
    if row is None:
        raise CallNotFound(f"there is no call {call_id}")
    return row


def get_call(session: Session, principal: Principal, call_id: int) -> CallOut:
    require_role(principal, *CALL_READERS)
    row = _call_or_404(session, call_id)
    model = session.get(AiModel, row.model_id)
    assert model is not None
    report = session.exec(select(CallReport).where(CallReport.call_id == call_id)).first()
    return call_out(row, model, report)


def get_output(
    session: Session, services: Services, principal: Principal, call_id: int
) -> tuple[bytes, str, CallStatus]:
    """The output's bytes, media type and call status (which decides its caching), to
    whom the call's status allows."""
    row = _call_or_404(session, call_id)
    # Only those who may read the call learn more than "not released to you".
    if row.status is not CallStatus.RELEASED and principal.role not in CALL_READERS:
        raise Forbidden(f"the output of call {call_id} is not released to {principal.role}")
    if not keeps_output(row.status) or row.output_sha256 is None:
        raise NoOutput(f"call {call_id} is {row.status}: it has no output to serve")
    if not may_read_output(principal.role, row.status):
        raise Forbidden(f"the output of a {row.status} call is not released to {principal.role}")
    return services.blobs.get(row.output_sha256), "image/png", row.status


def call_out(row: ModelCall, model: AiModel, report: CallReport | None = None) -> CallOut:
    assert row.id is not None and model.id is not None
    return CallOut(
        id=row.id,
        kind=row.kind,
        status=row.status,
        reasons=row.reasons,
        stages=row.stages,
        model=ModelRef(
            id=model.id, name=model.name, version=model.version, weights_sha256=model.weights_sha256
        ),
        request=row.request,
        input_sha256=row.input_sha256,
        mask_sha256=row.mask_sha256,
        output_sha256=row.output_sha256,
        output_url=f"/v1/calls/{row.id}/output" if row.output_sha256 else None,
        audit_index=row.audit_index,
        created_at=row.created_at,
        report=report_ref(report),
    )
