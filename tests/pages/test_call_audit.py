"""A call's audit trail for its pages: every entry about the call, each with a proof that
the project's own verifier accepts against the signed checkpoint, on each database."""

import base64
import json

import pytest
from sqlmodel import Session

from governance.audit.merkle import leaf_hash, verify_inclusion
from governance.audit.notes import open_checkpoint
from governance.auth.service import Principal, authenticate
from governance.errors import CallNotFound
from governance.pages.call_audit import NOT_SHOWN, call_audit_trail, trail_answer
from tests.support.call_helpers import _model, generate
from tests.support.helpers import auth
from tests.support.model_helpers import GENERATOR
from tests.support.service_fixture import Service


def _principal(session: Session, service: Service, name: str) -> Principal:
    return authenticate(session, f"Bearer {service.keys[name]}")


def _generation(service: Service) -> int:
    model = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    response = generate(service, model)
    assert response.status_code == 201, response.text
    call_id: int = response.json()["id"]
    return call_id


def test_each_entry_of_a_call_carries_a_proof_the_log_verifier_accepts(service: Service) -> None:
    call_id = _generation(service)
    services = service.app.state.services
    pinned = service.client.get("/v1/audit/key").json()["verifier_key"]
    with Session(services.engine) as session:
        trail = call_audit_trail(
            session, services, _principal(session, service, "auditor"), call_id
        )
    assert trail is not None and trail.call_id == call_id
    # The checkpoint opens with the key the service publishes, and is the newest one.
    checkpoint = open_checkpoint(trail.checkpoint.note, pinned)
    newest = service.client.get("/v1/audit/checkpoint", headers=auth(service.keys["auditor"]))
    assert trail.checkpoint.note == newest.text
    assert (checkpoint.size, base64.b64encode(checkpoint.root).decode()) == (
        trail.checkpoint.size,
        trail.checkpoint.root_hash,
    )
    assert trail.checkpoint.problem is None
    assert pinned == trail.checkpoint.verifier_key
    assert trail.checkpoint.key_id in pinned
    # The entries are the ones the audit API lists for the call's subject, in log order.
    listed = service.client.get(
        f"/v1/audit/entries?subject=call:{call_id}", headers=auth(service.keys["auditor"])
    ).json()["entries"]
    assert [e.index for e in trail.entries] == [e["index"] for e in listed]
    assert [e.kind for e in trail.entries] == ["call.recorded", "output.labelled"]
    for entry in trail.entries:
        data = base64.b64decode(entry.entry)
        assert data.decode() == next(e["entry"] for e in listed if e["index"] == entry.index)
        stated = json.loads(data)
        assert (stated["index"], stated["subject"], stated["at"]) == (
            entry.index,
            f"call:{call_id}",
            entry.at,
        )
        leaf = leaf_hash(data)
        assert base64.b64encode(leaf).decode() == entry.leaf_hash
        proof = [base64.b64decode(h) for h in entry.proof]
        # Keys and the model came first, so every proof has siblings to get wrong.
        assert proof
        assert verify_inclusion(leaf, entry.index, checkpoint.size, proof, checkpoint.root)
        altered = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        assert not verify_inclusion(leaf, entry.index, checkpoint.size, altered, checkpoint.root)
        other = leaf_hash(data + b" ")
        assert not verify_inclusion(other, entry.index, checkpoint.size, proof, checkpoint.root)


def test_the_trail_is_shown_only_to_those_who_read_the_log(service: Service) -> None:
    call_id = _generation(service)
    services = service.app.state.services
    with Session(services.engine) as session:
        for name in ("regulator", "admin"):
            found = call_audit_trail(session, services, _principal(session, service, name), call_id)
            assert found is not None and len(found.entries) == 2, name
        operator = _principal(session, service, "operator")
        assert call_audit_trail(session, services, operator, call_id) is None
        answer = trail_answer(session, services, operator, call_id)
        assert answer.trail is None and answer.detail == NOT_SHOWN
        auditor = _principal(session, service, "auditor")
        with pytest.raises(CallNotFound):
            call_audit_trail(session, services, auditor, call_id + 1)
