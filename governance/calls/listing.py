"""Governed calls listed newest first, filtered by status, model and time: what the
auditor's page (/ui/audit) pages through. The API reads calls one at a time; a list
reads the same rows under the same rule (CALL_READERS)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from governance.aimodels.models import AiModel
from governance.auth.service import Principal, require_role
from governance.calls.models import ModelCall
from governance.calls.status import CALL_READERS, CallStatus
from governance.errors import CallNotFound, InvalidInput

MAX_LIMIT = 200


@dataclass(frozen=True)
class CallFilter:
    status: CallStatus | None = None
    model_id: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class CallSummary:
    id: int
    kind: str
    status: CallStatus
    model_id: int
    model_name: str
    model_version: str
    actor: str
    created_at: datetime
    audit_index: int | None
    reason_codes: list[str]


@dataclass(frozen=True)
class CallListing:
    calls: list[CallSummary]
    # Cursors for the neighbouring pages: `after` the newest call shown, `before` the
    # oldest; None where no call matching the filter lies that way.
    newer_after: int | None
    older_before: int | None


@dataclass(frozen=True)
class ModelChoice:
    id: int
    name: str
    version: str
    kind: str


def _conditions(filters: CallFilter) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.status is not None:
        found.append(col(ModelCall.status) == filters.status)
    if filters.model_id is not None:
        found.append(col(ModelCall.model_id) == filters.model_id)
    if filters.since is not None:
        found.append(col(ModelCall.created_at) >= filters.since)
    if filters.until is not None:
        found.append(col(ModelCall.created_at) < filters.until)
    return found


def _any(session: Session, conditions: list[ColumnElement[bool]]) -> bool:
    return session.exec(select(ModelCall.id).where(*conditions).limit(1)).first() is not None


def list_calls(
    session: Session,
    principal: Principal,
    filters: CallFilter,
    limit: int,
    before: int | None = None,
    after: int | None = None,
) -> CallListing:
    """Up to `limit` calls matching `filters`, newest (highest id) first: those below id
    `before`, or the oldest ones above id `after` (the page before), or the newest."""
    require_role(principal, *CALL_READERS)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"a page holds 1 to {MAX_LIMIT} calls")
    if before is not None and after is not None:
        raise InvalidInput("page by 'before' or by 'after', not both")
    if filters.since and filters.until and filters.until <= filters.since:
        raise InvalidInput("the date range ends before it starts")
    conditions = _conditions(filters)
    query = select(ModelCall, AiModel).join(AiModel, col(AiModel.id) == col(ModelCall.model_id))
    if after is not None:
        # The page just newer than `after`: read upwards from it, then show newest first.
        query = query.where(*conditions, col(ModelCall.id) > after)
        rows = list(session.exec(query.order_by(col(ModelCall.id)).limit(limit)))[::-1]
    else:
        if before is not None:
            query = query.where(col(ModelCall.id) < before)
        rows = list(
            session.exec(query.where(*conditions).order_by(col(ModelCall.id).desc()).limit(limit))
        )
    calls = [_summary(call, model) for call, model in rows]
    if not calls:
        return CallListing([], None, None)
    newest, oldest = calls[0].id, calls[-1].id
    return CallListing(
        calls,
        newer_after=newest if _any(session, [*conditions, col(ModelCall.id) > newest]) else None,
        older_before=oldest if _any(session, [*conditions, col(ModelCall.id) < oldest]) else None,
    )


def _summary(call: ModelCall, model: AiModel) -> CallSummary:
    assert call.id is not None and model.id is not None
    return CallSummary(
        id=call.id,
        kind=call.kind,
        status=call.status,
        model_id=model.id,
        model_name=model.name,
        model_version=model.version,
        actor=call.actor,
        created_at=call.created_at,
        audit_index=call.audit_index,
        reason_codes=[str(r.get("code", "")) for r in call.reasons],
    )


def model_choices(session: Session, principal: Principal) -> list[ModelChoice]:
    """Every model version a call may have run, by name then version: the filter's choices."""
    require_role(principal, *CALL_READERS)
    query = select(AiModel).order_by(col(AiModel.name), col(AiModel.id))
    return [
        ModelChoice(id=m.id, name=m.name, version=m.version, kind=m.kind)
        for m in session.exec(query)
        if m.id is not None
    ]


def require_call(session: Session, call_id: int) -> None:
    """CallNotFound unless call `call_id` was recorded."""
    if session.get(ModelCall, call_id) is None:
        raise CallNotFound(f"there is no call {call_id}")
