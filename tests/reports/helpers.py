"""Restorations whose reports the tests run, and what to read back of them."""

from typing import Any

from sqlmodel import Session, select

from governance.audit.models import AuditEntry
from governance.reports.models import CallReport
from tests.support.call_helpers import _conservator, _mask, _model, restore
from tests.support.helpers import encode, np_image
from tests.support.service_fixture import Service

BLUR = "python:tests.support.fake_models:blur_restore"
SLOW = "python:tests.support.fake_models:slow_restore"


def restorer(service: Service, adapter: str = BLUR) -> int:
    """A registered restoration model (and a conservator's key beside the others)."""
    if "conservator" not in service.keys:
        _conservator(service)
    return _model(service, adapter=adapter, name=adapter.rsplit(":", 1)[-1])


def restoration(service: Service, model: int, seed: int = 1) -> dict[str, Any]:
    """A pending restoration of a 64 px picture; its answer as JSON."""
    response = restore(service, encode(np_image(seed)), _mask(64, 64), model)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def report_row(service: Service, call_id: int) -> CallReport:
    with Session(service.app.state.services.engine) as session:
        row = session.exec(select(CallReport).where(CallReport.call_id == call_id)).one()
        session.expunge(row)
        return row


def ready_entries(service: Service, call_id: int) -> list[AuditEntry]:
    with Session(service.app.state.services.engine) as session:
        query = select(AuditEntry).where(
            AuditEntry.kind == "report.ready", AuditEntry.subject == f"call:{call_id}"
        )
        return list(session.exec(query).all())
