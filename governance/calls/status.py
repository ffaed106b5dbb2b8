"""A call's statuses, the moves between them, and who may be served its output in each.

A call is recorded once with the status its stages earned. Only a pending output moves
afterwards: a conservator's review releases or rejects it (a later issue).
"""

from enum import StrEnum

from governance.auth.models import Role


class CallStatus(StrEnum):
    RELEASED = "released"
    PENDING_REVIEW = "pending_review"  # made, but a person decides before anyone else sees it
    BLOCKED = "blocked"  # a rule said no before anything was released
    FAILED = "failed"  # the model or the service could not do it
    REJECTED = "rejected"  # a review withheld the output for good


TRANSITIONS: dict[CallStatus, frozenset[CallStatus]] = {
    CallStatus.PENDING_REVIEW: frozenset({CallStatus.RELEASED, CallStatus.REJECTED}),
    CallStatus.RELEASED: frozenset(),
    CallStatus.BLOCKED: frozenset(),
    CallStatus.FAILED: frozenset(),
    CallStatus.REJECTED: frozenset(),
}

# Who may read a call's record (its stages, evidence and status).
CALL_READERS = (Role.OPERATOR, Role.AUDITOR, Role.CONSERVATOR, Role.ADMIN)
# Who may be served a call's output (and its manifest, which the output carries), by the
# call's status: an unreleased output only to those who review or audit it.
OUTPUT_READERS: dict[CallStatus, tuple[Role, ...]] = {
    CallStatus.RELEASED: tuple(Role),
    CallStatus.PENDING_REVIEW: (Role.CONSERVATOR, Role.AUDITOR, Role.ADMIN),
}


def can_move(current: CallStatus, new: CallStatus) -> bool:
    return new in TRANSITIONS[current]


def keeps_output(status: CallStatus) -> bool:
    """Whether a call with this status keeps an output (served to some, or to be reviewed)."""
    return status in OUTPUT_READERS


def may_read_output(role: Role, status: CallStatus) -> bool:
    return role in OUTPUT_READERS.get(status, ())
