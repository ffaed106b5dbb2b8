"""What a key may learn of a matched work.

A match itself (work id, score, transform, altered regions) is what the file shows and
goes to any key: anyone may ask whether a file copies a registered work. Who the work is
(its title, creator and holder) follows the works API's own rule (works.service
`readable_work`): auditors and admins read every work, a rights holder only its own,
other roles none.
"""

from sqlmodel import Session, col, select

from governance.auth.models import Role
from governance.auth.service import Principal
from governance.screening.schemas import WorkShown
from governance.works.service import READERS
from rights.models import RightsHolder, Work


def may_read(principal: Principal, work: Work) -> bool:
    if principal.role in READERS:
        return True
    return principal.role is Role.RIGHTS_HOLDER and work.holder_id == principal.holder_id


def shown_works(session: Session, principal: Principal, work_ids: set[int]) -> dict[int, WorkShown]:
    """The works among `work_ids` that `principal` may read, as shown to it."""
    if not work_ids or (principal.role not in READERS and principal.role is not Role.RIGHTS_HOLDER):
        return {}
    rows = session.exec(
        select(Work, RightsHolder.name)
        .join(RightsHolder, col(RightsHolder.id) == col(Work.holder_id))
        .where(col(Work.id).in_(work_ids))
    )
    shown: dict[int, WorkShown] = {}
    for work, holder in rows:
        if work.id is None or not may_read(principal, work):
            continue
        shown[work.id] = WorkShown(
            title=work.title,
            creator=work.creator,
            holder_id=work.holder_id,
            holder=holder,
            status=work.status,
        )
    return shown
