"""The auditor's pages: calls filtered by status, model and dates, each with its audit
trail; the newest signed checkpoint and how to check it offline.

Auditors and admins only: the pages join what the call API shows (operators, auditors,
conservators, admins) with what the audit API shows (auditors, regulators, admins)."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from sqlmodel import Session

from governance.auth.models import Role
from governance.auth.service import Principal, require_role
from governance.calls import service as calls
from governance.calls.listing import (
    CallFilter,
    CallListing,
    ModelChoice,
    list_calls,
    model_choices,
)
from governance.calls.schemas import CallOut
from governance.calls.status import CallStatus
from governance.pages.call_audit import CheckpointView, checkpoint_view
from governance.services import Services

AUDIT_PAGE_ROLES = (Role.AUDITOR, Role.ADMIN)
PAGE_SIZE = 50


@dataclass(frozen=True)
class CallQuery:
    """The calls form as sent: days are whole UTC days, both ends included."""

    status: CallStatus | None = None
    model_id: int | None = None
    from_day: date | None = None
    to_day: date | None = None
    before: int | None = None
    after: int | None = None

    def call_filter(self) -> CallFilter:
        return CallFilter(
            status=self.status,
            model_id=self.model_id,
            since=_midnight(self.from_day) if self.from_day else None,
            until=_midnight(self.to_day + timedelta(days=1)) if self.to_day else None,
        )

    def link(self, before: int | None = None, after: int | None = None) -> str:
        """/ui/audit with this filter, at the page `before` or `after` a call."""
        fields = {
            "status": self.status.value if self.status else None,
            "model": self.model_id,
            "from": self.from_day.isoformat() if self.from_day else None,
            "to": self.to_day.isoformat() if self.to_day else None,
            "before": before,
            "after": after,
        }
        kept = {name: value for name, value in fields.items() if value is not None}
        return "/ui/audit" + ("?" + urlencode(kept) if kept else "")

    def filtered(self) -> bool:
        return any(v is not None for v in (self.status, self.model_id, self.from_day, self.to_day))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class AuditCallsPage:
    query: CallQuery
    listing: CallListing
    models: list[ModelChoice]
    statuses: list[CallStatus]
    checkpoint: CheckpointView


def audit_calls_page(
    session: Session, services: Services, principal: Principal, query: CallQuery
) -> AuditCallsPage:
    """/ui/audit: a page of calls matching `query`, newest first, and the checkpoint."""
    require_role(principal, *AUDIT_PAGE_ROLES)
    listing = list_calls(
        session, principal, query.call_filter(), PAGE_SIZE, query.before, query.after
    )
    return AuditCallsPage(
        query=query,
        listing=listing,
        models=model_choices(session, principal),
        statuses=list(CallStatus),
        checkpoint=checkpoint_view(session, services),
    )


@dataclass(frozen=True)
class AuditCallPage:
    call: CallOut
    subject: str


def audit_call_page(session: Session, principal: Principal, call_id: int) -> AuditCallPage:
    """/ui/audit/calls/{id}: the call's record; its trail comes from call_audit.py."""
    require_role(principal, *AUDIT_PAGE_ROLES)
    return AuditCallPage(
        call=calls.get_call(session, principal, call_id), subject=f"call:{call_id}"
    )
