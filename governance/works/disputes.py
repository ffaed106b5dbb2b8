"""An admin resolves a disputed work: upheld (its terms bind from now on) or rejected (it
stays registered, marked, and never binds). Audited; a work is resolved once."""

from sqlmodel import Session, col, select

from governance.aimodels import clearance
from governance.aimodels.links import models_linked_to
from governance.audit.entries import DisputeResolved
from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.db import begin_write
from governance.errors import DisputeNotOpen, WorkNotFound
from governance.services import Services
from governance.works.schemas import DisputeResolution, WorkOut
from governance.works.service import work_out
from rights import registry
from rights.disputes import WorkStatus, disputed_works
from rights.models import Work, utcnow


def resolve_dispute(
    session: Session,
    services: Services,
    principal: Principal,
    work_id: int,
    body: DisputeResolution,
) -> WorkOut:
    require_role(principal, Role.ADMIN)
    begin_write(session)
    # Two admins resolving at once queue here; the second finds it resolved.
    work = session.exec(select(Work).where(col(Work.id) == work_id).with_for_update()).first()
    if work is None:
        raise WorkNotFound(f"there is no work {work_id}")
    if work.status != WorkStatus.DISPUTED.value:
        raise DisputeNotOpen(
            f"work {work_id} is {work.status}, not disputed: there is nothing to resolve"
        )
    work.status = body.resolution
    work.dispute = {
        "resolution": body.resolution,
        "comment": body.comment,
        "resolved_by": principal.actor,
        "resolved_at": utcnow().isoformat(),
    }
    session.add(work)
    session.flush()
    services.audit.record(
        session,
        f"work:{work_id}",
        principal.actor,
        DisputeResolved(
            work_id=work_id,
            resolution=body.resolution,
            comment=body.comment,
            other_works=[d.other_work_id for d, _ in disputed_works(session, work_id)],
        ),
    )
    if body.resolution == WorkStatus.UPHELD.value:
        # Its terms bind from now on: models trained on it are judged again.
        touched = models_linked_to(session, work_id)
        clearance.recompute_for(
            session, services, touched, f"dispute.upheld:{work_id}", principal.actor
        )
    return work_out(session, work, registry.current_terms(session, work))
