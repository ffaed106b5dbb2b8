"""Pending restorations with a ready report (inserted here: the report job is another
part's), and conservators' keys of their own holders."""

import hashlib
from typing import Any

from sqlmodel import Session, select

from governance.auth.service import create_key
from governance.db import unit_of_work
from governance.reports.models import CallReport, ReportState
from tests.support.call_helpers import _mask, _model, restore
from tests.support.helpers import auth, encode, np_image
from tests.support.service_fixture import Service


def conservator(
    service: Service, name: str, *, holder: bool = False, role: str = "conservator"
) -> str:
    """A key for `name`: a new holder, or (holder=True) another key of that holder."""
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        if holder:
            key = create_key(session, services.audit, role, holder=name)[1]
        else:
            key = create_key(session, services.audit, role, name)[1]
    service.keys[f"{name}/{role}/{len(service.keys)}"] = key
    return key


def pending_call(service: Service, seed: int = 0, key: str = "operator") -> dict[str, Any]:
    model = service.keys.get("_model")
    if model is None:
        model = str(_model(service))
        service.keys["_model"] = model
    image = encode(np_image(seed, 96))
    response = restore(service, image, _mask(96, 96), int(model), key=key)
    assert response.status_code == 201, response.text
    call: dict[str, Any] = response.json()
    assert call["status"] == "pending_review", call
    return call


def put_report_row(service: Service, call_id: int, state: str = ReportState.READY.value) -> str:
    """A report row as the job would leave it; returns its report_sha256."""
    digest = hashlib.sha256(f"report of {call_id}".encode()).hexdigest()
    with Session(service.app.state.services.engine) as session:
        # The call may have queued its report already: the row is the job's state.
        found = select(CallReport).where(CallReport.call_id == call_id)
        row = session.exec(found).first() or CallReport(call_id=call_id, state=state)
        row.state = state
        row.report_sha256 = digest if state == ReportState.READY.value else None
        session.add(row)
        session.commit()
    return digest


def decide(service: Service, key: str, call_id: int, decision: str = "approve", **body: Any) -> Any:
    return service.client.post(
        f"/v1/calls/{call_id}/review",
        headers=auth(key),
        json={"decision": decision, "comment": body.pop("comment", "looks right"), **body},
    )
