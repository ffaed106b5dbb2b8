"""Retiring a model version: an admin's act, audited with its reason. The model stays
registered and readable; the clearance stage blocks its calls from then on."""

from sqlmodel import Session

from governance.aimodels.lookup import model_or_404, retirement_of
from governance.aimodels.models import ModelRetirement
from governance.aimodels.schemas import ModelOut, RetireIn
from governance.aimodels.service import model_out
from governance.audit.entries import ModelRetired
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.db import begin_write
from governance.errors import ModelAlreadyRetired
from governance.services import Services


def retire_model(
    session: Session, services: Services, principal: Principal, model_id: int, body: RetireIn
) -> ModelOut:
    require_role(principal, Role.ADMIN)
    begin_write(session)
    model = model_or_404(session, model_id)
    assert model.id is not None
    # Under the audit lock: two retirements of one model cannot both pass the check.
    services.audit.lock(session)
    if (earlier := retirement_of(session, model.id)) is not None:
        raise ModelAlreadyRetired(
            f"model {model_id} was retired already, by {earlier.retired_by} "
            f"(audit entry {earlier.audit_index}): {earlier.reason}"
        )
    entry = services.audit.record(
        session,
        f"model:{model.id}",
        principal.actor,
        ModelRetired(
            model_id=model.id,
            name=model.name,
            version=model.version,
            weights_sha256=model.weights_sha256,
            reason=body.reason,
        ),
    )
    session.add(
        ModelRetirement(
            model_id=model.id,
            reason=body.reason,
            retired_by=principal.actor,
            audit_index=entry.idx,
        )
    )
    session.flush()
    return model_out(session, model)
