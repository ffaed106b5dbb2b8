"""The run and its seal on hand-made plans: a flagging or refusing stage after the model,
the audit lock taken only at the seal, and the statuses a call can take."""

import dataclasses
import json

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import StatementError
from sqlmodel import Session, select

from governance.audit.log import AuditLog
from governance.audit.models import AuditEntry
from governance.auth.models import Role
from governance.calls.models import ModelCall
from governance.calls.status import CallStatus, can_move, keeps_output, may_read_output
from governance.credentials.models import OutputLabel
from governance.db import unit_of_work
from governance.pipeline import plans
from governance.pipeline.context import CallContext, Output
from governance.pipeline.evidence import NoEvidence
from governance.pipeline.run import run
from governance.pipeline.stage import StageResult, flagged, passed, refused
from tests.support.call_helpers import _conservator, _model
from tests.support.helpers import auth
from tests.support.model_helpers import GENERATOR
from tests.support.service_fixture import Service
from tests.support.stages import Harness


class Screen:
    """An after-model stage that says what it was told to, and notes when it ran."""

    name = "screen"

    def __init__(self, say: str, events: list[str]) -> None:
        self.say, self.events = say, events

    def run(self, call: CallContext, output: Output) -> StageResult:
        self.events.append("screen")
        assert output.pixels.ndim == 3  # it sees what the model made
        if self.say == "flag":
            return flagged(self.name, "looks_like_a_work", "a person should look", NoEvidence())
        if self.say == "refuse":
            return refused(self.name, "copies_a_work", "it copies a work", NoEvidence())
        return passed(self.name, NoEvidence())


def _generate(service: Service, say: str, events: list[str]) -> ModelCall:
    model_id = _model(service, kind="generation", adapter=GENERATOR, name=f"painter-{say}")
    plan = dataclasses.replace(plans.GENERATION, after_model=(Screen(say, events),))
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        h = Harness(session, services)
        row = run(h.generation(model_id, "a bowl of fruit"), plan)
        session.expunge(row)
    return row


def _entries(service: Service, call_id: int) -> list[str]:
    with Session(service.app.state.services.engine) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.subject == f"call:{call_id}"))
        return [json.loads(r.entry)["kind"] for r in rows]


def test_a_flagging_stage_sends_the_call_to_review_with_its_reason(service: Service) -> None:
    _conservator(service)
    row = _generate(service, "flag", [])
    assert row.status is CallStatus.PENDING_REVIEW
    assert row.reasons == [{"code": "looks_like_a_work", "detail": "a person should look"}]
    assert [s["name"] for s in row.stages][-3:] == ["screen", "label", "store_output"]
    assert _entries(service, row.id or 0) == ["call.recorded", "output.labelled"]
    url = f"/v1/calls/{row.id}/output"
    assert service.client.get(url, headers=auth(service.keys["operator"])).status_code == 403
    assert service.client.get(url, headers=auth(service.keys["conservator"])).status_code == 200


def test_a_refusing_stage_after_the_model_blocks_and_keeps_nothing(service: Service) -> None:
    row = _generate(service, "refuse", [])
    assert row.status is CallStatus.BLOCKED and row.output_sha256 is None
    assert [s["name"] for s in row.stages][-1] == "screen"
    assert _entries(service, row.id or 0) == ["call.recorded"]
    with Session(service.app.state.services.engine) as session:
        assert session.exec(select(OutputLabel)).first() is None


def test_the_audit_lock_is_taken_only_at_the_seal(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    original = AuditLog.lock

    def lock(self: AuditLog, session: Session) -> None:
        events.append("lock")
        original(self, session)

    monkeypatch.setattr(AuditLog, "lock", lock)
    row = _generate(service, "pass", events)
    assert row.status is CallStatus.RELEASED
    # Registering the model took the lock before; this call takes it once, after the model
    # and every stage that sees its output.
    assert events[-2:] == ["screen", "lock"]
    assert events.count("screen") == 1


def test_statuses_move_only_from_review() -> None:
    assert can_move(CallStatus.PENDING_REVIEW, CallStatus.RELEASED)
    assert can_move(CallStatus.PENDING_REVIEW, CallStatus.REJECTED)
    for status in CallStatus:
        if status is not CallStatus.PENDING_REVIEW:
            assert not any(can_move(status, new) for new in CallStatus), status
    assert not keeps_output(CallStatus.REJECTED) and not keeps_output(CallStatus.BLOCKED)
    assert may_read_output(Role.REGULATOR, CallStatus.RELEASED)
    assert not may_read_output(Role.OPERATOR, CallStatus.PENDING_REVIEW)
    assert not any(may_read_output(role, CallStatus.REJECTED) for role in Role)


def test_a_stored_status_is_read_back_typed_and_an_unknown_one_is_refused(
    service: Service,
) -> None:
    row = _generate(service, "pass", [])
    services = service.app.state.services
    with Session(services.engine) as session:
        again = session.get(ModelCall, row.id)
        assert again is not None and again.status is CallStatus.RELEASED
    with unit_of_work(services.engine) as session:
        # Writing goes through the type too: only raw SQL can store a non-status.
        with pytest.raises(StatementError):
            session.exec(update(ModelCall).values(status="launched"))  # type: ignore[call-overload]
        session.rollback()
        session.exec(text("UPDATE model_calls SET status = 'launched'"))  # type: ignore[call-overload]
    with Session(services.engine) as session, pytest.raises(ValueError, match="launched"):
        session.get(ModelCall, row.id)
