"""Twins: models registered with the same weights. Listing them, and an admin's release
of one model from a twin's clearance, with the reason kept in the audit log."""

from sqlmodel import Session

from governance.aimodels import clearance
from governance.aimodels.lookup import model_or_404
from governance.aimodels.models import AiModel, TwinRelease
from governance.aimodels.schemas import TwinOut, TwinReleaseIn
from governance.audit.entries import TwinReleased
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.db import begin_write
from governance.errors import NotTwins, TwinAlreadyReleased
from governance.services import Services


def twins_out(session: Session, model: AiModel) -> list[TwinOut]:
    released = clearance.releases_of(session, model)
    return [
        _twin_out(twin, released.get(twin.id or 0)) for twin in clearance.twins_of(session, model)
    ]


def release_twin(
    session: Session,
    services: Services,
    principal: Principal,
    model_id: int,
    twin_id: int,
    body: TwinReleaseIn,
) -> TwinOut:
    """Record why `model_id` does not carry `twin_id`'s clearance, and recompute it.

    One direction only: the twin still carries this model's clearance, unless it is
    released too. An admin's act, audited before the clearance it changes.
    """
    require_role(principal, Role.ADMIN)
    begin_write(session)
    model, twin = model_or_404(session, model_id), model_or_404(session, twin_id)
    assert model.id is not None and twin.id is not None
    if twin.id not in {t.id for t in clearance.twins_of(session, model)}:
        raise NotTwins(
            f"model {twin_id} is not a twin of model {model_id}: twins are other models "
            "with the same weights (and, for python adapters, the same function)"
        )
    # Under the audit lock: two releases of one pair cannot both pass the check.
    services.audit.lock(session)
    if twin.id in clearance.releases_of(session, model):
        raise TwinAlreadyReleased(f"model {model_id} is released from model {twin_id} already")
    entry = services.audit.record(
        session,
        f"model:{model.id}",
        principal.actor,
        TwinReleased(
            model_id=model.id,
            twin_id=twin.id,
            weights_sha256=model.weights_sha256,
            reason=body.reason,
        ),
    )
    release = TwinRelease(
        model_id=model.id,
        twin_id=twin.id,
        reason=body.reason,
        released_by=principal.actor,
        audit_index=entry.idx,
    )
    session.add(release)
    session.flush()
    clearance.recompute(session, services, model, f"twin model:{twin.id} released", principal.actor)
    return _twin_out(twin, release)


def _twin_out(twin: AiModel, release: TwinRelease | None) -> TwinOut:
    assert twin.id is not None
    return TwinOut(
        model_id=twin.id,
        model_name=twin.name,
        weights_sha256=twin.weights_sha256,
        carried=release is None,
        release_reason=release.reason if release else None,
        released_by=release.released_by if release else None,
        released_at=release.created_at if release else None,
        release_audit_index=release.audit_index if release else None,
    )
