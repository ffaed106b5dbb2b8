"""A model's clearance evidence follows its versioned schema, stored and served."""

import hashlib
from typing import Any

import pytest
import rfc8785
from pydantic import ValidationError
from sqlmodel import Session, func, select

from governance.aimodels import clearance
from governance.aimodels.models import AiModel, ModelClearance
from governance.audit.models import AuditEntry
from governance.db import unit_of_work
from rights.clearance import ClearanceEvidence, Verdict
from rights.terms import Use
from tests.support.helpers import auth, png_bytes, register
from tests.support.model_helpers import item_of, manifest, register_model, unrelated_item
from tests.support.service_fixture import Service

EVIDENCE_KEYS = ("schema_version", "required", "uses")


def _blocked_model(service: Service) -> int:
    register(
        service.client,
        service.keys["alice"],
        png_bytes("astronaut"),
        terms={"ai_generative_training": "notAllowed"},
    )
    body = manifest(item_of("astronaut"), unrelated_item(1))
    response = register_model(service.client, service.keys["admin"], body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _served(service: Service, model_id: int) -> dict[str, Any]:
    response = service.client.get(
        f"/v1/models/{model_id}/clearance", headers=auth(service.keys["operator"])
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_served_and_stored_evidence_state_their_version_and_parse(service: Service) -> None:
    model_id = _blocked_model(service)
    served = _served(service, model_id)
    assert served["schema_version"] == 1
    evidence = ClearanceEvidence.model_validate({k: served[k] for k in EVIDENCE_KEYS})
    assert evidence.model_dump(mode="json") == {k: served[k] for k in EVIDENCE_KEYS}
    generative = evidence.uses[Use.AI_GENERATIVE_TRAINING]
    assert generative.verdict is Verdict.BLOCKED and generative.items[0].match == "exact"
    engine = service.app.state.services.engine
    with Session(engine) as session:
        row = clearance.latest(session, model_id)
        assert row is not None
        assert row.uses["schema_version"] == 1
        # What the pipeline's clearance stage reads from the stored JSON.
        assert row.uses["required"] == ["data_mining", "ai_training", "ai_generative_training"]
        assert row.uses["uses"]["ai_generative_training"]["reasons"] == generative.reasons
        assert clearance.evidence_of(row) == evidence
        entry = session.exec(select(AuditEntry).where(AuditEntry.idx == row.audit_index)).one()
    # The audit entry names the stored evidence, version included.
    digest = hashlib.sha256(rfc8785.dumps(row.uses)).hexdigest()
    assert f'"evidence_sha256":"{digest}"' in entry.entry.decode()


def test_evidence_of_another_version_or_shape_does_not_parse(service: Service) -> None:
    served = _served(service, _blocked_model(service))
    evidence = {k: served[k] for k in EVIDENCE_KEYS}
    ClearanceEvidence.model_validate(evidence)
    use = evidence["uses"]["ai_training"]
    changed = [
        {**evidence, "schema_version": 2},
        {k: v for k, v in evidence.items() if k != "required"},
        {**evidence, "uses": {"ai_training": {**use, "verdict": "maybe"}}},
        {**evidence, "uses": {"ai_training": {k: v for k, v in use.items() if k != "reasons"}}},
    ]
    for bad in changed:
        with pytest.raises(ValidationError):
            ClearanceEvidence.model_validate(bad)


def test_evidence_stored_before_versions_is_version_1_and_not_recorded_again(
    service: Service,
) -> None:
    model_id = _blocked_model(service)
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        latest = clearance.latest(session, model_id)
        assert latest is not None
        unversioned = {k: v for k, v in latest.uses.items() if k != "schema_version"}
        session.add(
            ModelClearance(
                model_id=model_id,
                verdict=latest.verdict,
                uses=unversioned,
                trigger="before versions",
                audit_index=latest.audit_index,
            )
        )
    with unit_of_work(services.engine) as session:
        entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
        model = session.get(AiModel, model_id)
        assert model is not None
        kept = clearance.recompute(session, services, model, "test", "test")
        assert kept.trigger == "before versions"
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == entries
    served = _served(service, model_id)
    assert served["schema_version"] == 1 and served["trigger"] == "before versions"
