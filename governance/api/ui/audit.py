"""The auditor's pages: /ui/audit (calls by status, model and dates; the checkpoint; the
log's bundle), /ui/audit/calls/{id} (a call's record and audit trail, its evidence), and
/ui/calls/{id}/audit.json, the trail that static/audit.js checks in the browser."""

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from governance.api.audit import SUBJECT
from governance.api.deps import ServicesDep, SessionDep
from governance.api.params import MAX_ID, MAX_INDEX
from governance.api.ui.deps import CallerDep
from governance.api.ui.render import page
from governance.audit import bundle
from governance.calls.evidence import evidence_for
from governance.calls.status import CallStatus
from governance.errors import InvalidInput
from governance.pages.audit import CallQuery, audit_call_page, audit_calls_page
from governance.pages.call_audit import TrailAnswer, trail_answer

router = APIRouter()
CallId = Annotated[int, Path(ge=1, le=MAX_ID)]
# A GET form sends its empty fields as "": they mean "any", so they are read as text.
Field = Annotated[str | None, Query()]


def _given(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _number(value: str | None, name: str, high: int) -> int | None:
    text = _given(value)
    if text is None:
        return None
    if not text.isdigit() or int(text) > high:
        raise InvalidInput(f"{name}: a whole number from 0 to {high}, not {text!r}")
    return int(text)


def _day(value: str | None, name: str) -> date | None:
    text = _given(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name}: a date as YYYY-MM-DD, not {text!r}") from None


def _status(value: str | None) -> CallStatus | None:
    text = _given(value)
    if text is None:
        return None
    try:
        return CallStatus(text)
    except ValueError:
        known = ", ".join(s.value for s in CallStatus)
        raise InvalidInput(f"status: one of {known}, not {text!r}") from None


@router.get("/audit", response_class=HTMLResponse)
def calls(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    caller: CallerDep,
    status: Field = None,
    model: Field = None,
    since: Annotated[str | None, Query(alias="from")] = None,
    until: Annotated[str | None, Query(alias="to")] = None,
    before: Field = None,
    after: Field = None,
) -> HTMLResponse:
    query = CallQuery(
        status=_status(status),
        model_id=_number(model, "model", MAX_ID),
        from_day=_day(since, "from"),
        to_day=_day(until, "to"),
        before=_number(before, "before", MAX_ID),
        after=_number(after, "after", MAX_ID),
    )
    shown = audit_calls_page(session, services, caller.principal, query)
    return page(request, "audit_calls.html", caller, view=shown)


@router.get("/audit/calls/{call_id:int}", response_class=HTMLResponse)
def call(request: Request, session: SessionDep, caller: CallerDep, call_id: CallId) -> HTMLResponse:
    shown = audit_call_page(session, caller.principal, call_id)
    return page(request, "audit_call.html", caller, view=shown, call_id=call_id)


def _zip(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            # A later decision, report or entry changes it.
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/audit/calls/{call_id:int}/evidence.zip", response_class=Response)
def evidence(
    session: SessionDep, services: ServicesDep, caller: CallerDep, call_id: CallId
) -> Response:
    """GET /v1/calls/{id}/evidence for a signed-in page: the same zip, the same roles."""
    data = evidence_for(session, services, caller.principal, call_id)
    return _zip(data, f"call-{call_id}-evidence.zip")


@router.get("/audit/export.zip", response_class=Response)
def export(
    session: SessionDep,
    services: ServicesDep,
    caller: CallerDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    subject: Field = None,
) -> Response:
    """GET /v1/audit/export for a signed-in page: the log's offline bundle."""
    chosen = _given(subject)
    if chosen is not None and not re.fullmatch(SUBJECT, chosen):
        raise InvalidInput(f"subject: '<kind>:<id>' in printable ASCII, not {chosen!r}")
    data = bundle.export_zip(
        session,
        services,
        caller.principal,
        _number(start, "from", MAX_INDEX),
        _number(end, "to", MAX_INDEX),
        chosen,
    )
    return _zip(data, "audit-bundle.zip")


@router.get("/calls/{call_id:int}/audit.json", response_model=TrailAnswer)
def trail(
    response: Response,
    session: SessionDep,
    services: ServicesDep,
    caller: CallerDep,
    call_id: CallId,
) -> TrailAnswer:
    """The call's audit trail for static/audit.js, which checks every proof itself."""
    response.headers["Cache-Control"] = "no-store"
    return trail_answer(session, services, caller.principal, call_id)
