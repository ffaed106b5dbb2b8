"""Retiring a model version: an admin's audited act. The version stays readable; calls
on it are blocked with the retirement's reason, and a name passes over it."""

import json
from typing import Any

import pytest
from sqlmodel import Session, col, select

from governance.audit.entries import ModelRetired, parse_entry_as
from governance.audit.models import AuditEntry
from tests.aimodels.test_model_versions import GREY, get, version
from tests.support.call_helpers import generate
from tests.support.helpers import auth
from tests.support.model_helpers import counts
from tests.support.service_fixture import Service

REASON = "superseded by version 2; its output drifted in colour"


def retire(service: Service, model_id: int, key: str = "admin", **body: Any) -> Any:
    return service.client.post(
        f"/v1/models/{model_id}/retire",
        headers=auth(service.keys[key]),
        json=body or {"reason": REASON},
    )


def shown_by(model: dict[str, Any]) -> str:
    by: str = model["retired"]["retired_by"]
    return by


def entries(service: Service, kind: str) -> list[AuditEntry]:
    with Session(service.app.state.services.engine) as session:
        query = select(AuditEntry).where(AuditEntry.kind == kind).order_by(col(AuditEntry.idx))
        return list(session.exec(query))


def test_retiring_is_audited_and_the_model_stays_readable(service: Service) -> None:
    model = version(service, "1")
    assert model["retired"] is None
    retired = retire(service, model["id"])
    assert retired.status_code == 200, retired.text
    (entry,) = entries(service, "model.retired")
    data = parse_entry_as(entry.entry, ModelRetired).data
    assert data.model_id == model["id"] and data.name == "painter" and data.version == "1"
    assert data.reason == REASON and data.weights_sha256 == model["weights_sha256"]
    assert entry.subject == f"model:{model['id']}" and entry.actor.startswith("key:")
    assert shown_by(retired.json()) == entry.actor
    shown = retired.json()["retired"]
    assert shown["reason"] == REASON and shown["audit_index"] == entry.idx
    for url in (f"/v1/models/{model['id']}", f"/v1/models/{model['id']}/clearance"):
        assert get(service, url).status_code == 200
    assert get(service, f"/v1/models/{model['id']}").json()["retired"] == shown


def test_a_retired_model_blocks_its_calls_with_the_reason(service: Service) -> None:
    model = version(service, "1")
    retire(service, model["id"])
    for asked in (generate(service, model["id"]), generate(service, "painter")):  # type: ignore[arg-type]
        assert asked.status_code == 201, asked.text
        call = asked.json()
        assert call["status"] == "blocked" and call["output_sha256"] is None
        (reason,) = call["reasons"]
        assert reason["code"] == "model_retired" and REASON in reason["detail"]
        # The blocked call is on the record, in the log, with its reason.
        recorded = [json.loads(e.entry) for e in entries(service, "call.recorded")]
        assert recorded[-1]["data"]["reasons"][0]["code"] == "model_retired"


def test_a_name_passes_over_a_retired_latest_version(service: Service) -> None:
    one = version(service, "1")
    two = version(service, "2", adapter=GREY)
    retire(service, two["id"])
    assert get(service, "/v1/models/painter").json()["id"] == one["id"]
    call = generate(service, "painter").json()  # type: ignore[arg-type]
    assert call["status"] == "released" and call["model"]["id"] == one["id"]
    # Named by its version, the retired one is still refused with its reason.
    pinned = generate(service, "painter", version="2").json()  # type: ignore[arg-type]
    assert pinned["model"]["id"] == two["id"] and pinned["reasons"][0]["code"] == "model_retired"
    # With every version retired, the name gives the newest, and its call is blocked.
    retire(service, one["id"])
    last = generate(service, "painter").json()  # type: ignore[arg-type]
    assert last["model"]["id"] == two["id"] and last["status"] == "blocked"


def test_a_retired_version_is_passed_over_before_a_blocked_one(service: Service) -> None:
    blocked = version(service, "1", blocked=True)
    newest = version(service, "2", adapter=GREY)
    retire(service, newest["id"])
    call = generate(service, "painter").json()  # type: ignore[arg-type]
    assert call["model"]["id"] == blocked["id"]
    assert call["reasons"][0]["code"] == "model_blocked"


@pytest.mark.parametrize(
    ("key", "body", "status", "code"),
    [
        ("operator", {"reason": REASON}, 403, "Forbidden"),
        ("admin", {"reason": ""}, 422, "InvalidRequest"),
        ("admin", {"reason": "   "}, 422, "InvalidRequest"),
        ("admin", {"reason": "x\x00"}, 422, "InvalidRequest"),
        ("admin", {"reason": REASON, "extra": 1}, 422, "InvalidRequest"),
    ],
)
def test_bad_retirements_are_refused_and_store_nothing(
    service: Service, key: str, body: dict[str, Any], status: int, code: str
) -> None:
    model = version(service, "1")
    before = counts(service.app.state.services.engine)
    response = retire(service, model["id"], key=key, **body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert counts(service.app.state.services.engine) == before
    assert get(service, f"/v1/models/{model['id']}").json()["retired"] is None


def test_retiring_twice_or_an_unknown_model_is_refused(service: Service) -> None:
    model = version(service, "1")
    assert retire(service, model["id"]).status_code == 200
    before = counts(service.app.state.services.engine)
    again = retire(service, model["id"], reason="once more")
    assert again.status_code == 409 and again.json()["error"] == "ModelAlreadyRetired"
    assert REASON in again.json()["detail"]
    missing = retire(service, 999)
    assert missing.status_code == 404 and missing.json()["detail"] == "there is no model 999"
    assert counts(service.app.state.services.engine) == before
    assert len(entries(service, "model.retired")) == 1
