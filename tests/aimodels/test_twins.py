"""Twins: the same weights registered again under another name carry the first one's
clearance (the stricter verdict wins, per use) until an admin records why not."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from governance.audit.entries import TwinReleased, parse_entry_as
from governance.audit.models import AuditEntry
from tests.support.helpers import auth, png_bytes, register
from tests.support.model_helpers import (
    FAKE_MODELS,
    GENERATOR,
    counts,
    item_of,
    manifest,
    register_model,
    unrelated_item,
)
from tests.support.service_fixture import Service

BLOCKING = {"ai_generative_training": "notAllowed"}


def _work(service: Service, terms: dict[str, str] = BLOCKING) -> int:
    work = register(service.client, service.keys["alice"], png_bytes("astronaut"), terms=terms)
    assert work.status_code == 201, work.text
    return int(work.json()["id"])


def _model(service: Service, name: str, *items: dict[str, Any], **kw: Any) -> dict[str, Any]:
    body = manifest(*(items or [unrelated_item(0)]))
    kw.setdefault("kind", "generation")
    kw.setdefault("adapter", GENERATOR)
    response = register_model(service.client, service.keys["admin"], body, name=name, **kw)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _clearance(service: Service, model_id: int) -> dict[str, Any]:
    response = service.client.get(
        f"/v1/models/{model_id}/clearance", headers=auth(service.keys["admin"])
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _release(service: Service, model_id: int, twin_id: int, key: str = "admin", **body: Any) -> Any:
    return service.client.post(
        f"/v1/models/{model_id}/twins/{twin_id}/release",
        headers=auth(service.keys[key]),
        json=body or {"reason": "retrained copy; the manifest was checked by legal"},
    )


def _generate(service: Service, model_id: int) -> dict[str, Any]:
    body = {"model": model_id, "prompt": "a portrait", "seed": 0, "width": 64, "height": 64}
    response = service.client.post(
        "/v1/generations", headers=auth(service.keys["operator"]), json=body
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def _entries(service: Service, kind: str) -> list[AuditEntry]:
    with Session(service.app.state.services.engine) as session:
        query = select(AuditEntry).where(AuditEntry.kind == kind).order_by(col(AuditEntry.idx))
        return list(session.exec(query))


def test_the_same_weights_under_a_new_name_stay_blocked(service: Service) -> None:
    _work(service)
    blocked = _model(service, "generator", item_of("astronaut"))
    assert blocked["clearance"]["verdict"] == "blocked"
    laundered = _model(service, "generator-clean")
    assert laundered["weights_sha256"] == blocked["weights_sha256"]
    assert laundered["clearance"]["verdict"] == "blocked"
    clearance = _clearance(service, laundered["id"])
    generative = clearance["uses"]["ai_generative_training"]
    assert generative["verdict"] == "blocked"
    assert generative["reasons"][0].startswith(
        f"model {blocked['id']} ('generator') runs the same weights and is blocked"
    )
    # Its own evidence stays its own: the twin's verdict is carried, not its items.
    assert generative["matched_items"] == 0
    # A use the twin allows is not made stricter by it.
    assert clearance["uses"]["data_mining"]["verdict"] == "cleared"
    assert clearance["twins"] == [
        {
            "model_id": blocked["id"],
            "model_name": "generator",
            "weights_sha256": blocked["weights_sha256"],
            "carried": True,
            "release_reason": None,
            "released_by": None,
            "released_at": None,
            "release_audit_index": None,
        }
    ]
    call = _generate(service, laundered["id"])
    assert call["status"] == "blocked" and call["output_url"] is None
    assert call["reasons"][0]["code"] == "model_blocked"
    # The audited clearance says where the verdict came from.
    recorded = json.loads(_entries(service, "model.clearance")[-1].entry)["data"]
    assert recorded["model_id"] == laundered["id"] and recorded["verdict"] == "blocked"
    assert "runs the same weights" in recorded["uses"]["ai_generative_training"]["reasons"][0]


def test_a_twin_registered_later_makes_the_clean_model_stricter_and_follows_it_back(
    service: Service,
) -> None:
    work = _work(service)
    clean = _model(service, "generator")
    assert clean["clearance"]["verdict"] == "cleared"
    assert _generate(service, clean["id"])["status"] == "released"
    blocked = _model(service, "generator-trained-on-the-museum", item_of("astronaut"))
    assert blocked["clearance"]["verdict"] == "blocked"
    clearance = _clearance(service, clean["id"])
    assert clearance["verdict"] == "blocked"
    assert clearance["trigger"] == f"twin model:{blocked['id']}"
    assert _generate(service, clean["id"])["status"] == "blocked"
    # The twin's own clearance changes (the work now allows the use): both follow.
    changed = service.client.put(
        f"/v1/works/{work}/terms",
        headers=auth(service.keys["alice"]),
        json={"terms": {"ai_generative_training": "allowed"}},
    )
    assert changed.status_code == 200, changed.text
    assert _clearance(service, blocked["id"])["verdict"] == "cleared"
    again = _clearance(service, clean["id"])
    assert again["verdict"] == "cleared" and again["trigger"] == f"twin model:{blocked['id']}"
    assert _generate(service, clean["id"])["status"] == "released"


def test_an_admins_recorded_reason_lifts_the_carry_over_and_is_audited(
    service: Service,
) -> None:
    _work(service)
    blocked = _model(service, "generator", item_of("astronaut"))
    twin = _model(service, "generator-clean")
    response = _release(service, twin["id"], blocked["id"], reason="  retrained from scratch  ")
    assert response.status_code == 200, response.text
    released = response.json()
    assert released["model_id"] == blocked["id"] and released["carried"] is False
    assert released["release_reason"] == "retrained from scratch"
    assert released["released_by"].startswith("key:")
    clearance = _clearance(service, twin["id"])
    assert clearance["verdict"] == "cleared"
    assert clearance["trigger"] == f"twin model:{blocked['id']} released"
    assert clearance["twins"][0]["carried"] is False
    assert clearance["twins"][0]["release_reason"] == "retrained from scratch"
    # One direction: the blocked model stays blocked, and still carries the twin's.
    assert _clearance(service, blocked["id"])["verdict"] == "blocked"
    assert _clearance(service, blocked["id"])["twins"][0]["carried"] is True
    assert _generate(service, twin["id"])["status"] == "released"
    (entry,) = _entries(service, "model.twin_released")
    parsed = parse_entry_as(entry.entry, TwinReleased)
    assert parsed.subject == f"model:{twin['id']}" and parsed.actor == released["released_by"]
    assert parsed.data == TwinReleased(
        model_id=twin["id"],
        twin_id=blocked["id"],
        weights_sha256=twin["weights_sha256"],
        reason="retrained from scratch",
    )
    assert entry.idx == released["release_audit_index"]
    assert entry.idx < clearance["audit_index"]
    # Released once; a second release is refused and stores nothing.
    before = counts(service.app.state.services.engine)
    again = _release(service, twin["id"], blocked["id"])
    assert again.status_code == 409 and again.json()["error"] == "TwinAlreadyReleased"
    assert counts(service.app.state.services.engine) == before


@pytest.mark.parametrize("key", ["operator", "auditor", "alice", "regulator"])
def test_only_an_admin_can_release_a_twin(service: Service, key: str) -> None:
    _work(service)
    blocked = _model(service, "generator", item_of("astronaut"))
    twin = _model(service, "generator-clean")
    before = counts(service.app.state.services.engine)
    response = _release(service, twin["id"], blocked["id"], key=key)
    assert response.status_code == 403 and response.json()["error"] == "Forbidden"
    assert counts(service.app.state.services.engine) == before
    assert _clearance(service, twin["id"])["verdict"] == "blocked"
    assert _entries(service, "model.twin_released") == []


def test_bad_releases_are_refused_and_store_nothing(service: Service) -> None:
    _work(service)
    blocked = _model(service, "generator", item_of("astronaut"))
    twin = _model(service, "generator-clean")
    other = _model(service, "grey", adapter="python:tests.support.fake_models:grey_generate")
    before = counts(service.app.state.services.engine)
    for model_id, twin_id, body, status, code in (
        (twin["id"], twin["id"], {}, 422, "NotTwins"),
        (twin["id"], other["id"], {}, 422, "NotTwins"),
        (twin["id"], 999, {}, 404, "ModelNotFound"),
        (999, twin["id"], {}, 404, "ModelNotFound"),
        (twin["id"], blocked["id"], {"reason": "   "}, 422, None),
        (twin["id"], blocked["id"], {"reason": "x\x00"}, 422, None),
        (twin["id"], blocked["id"], {"reason": "x" * 2001}, 422, None),
        (twin["id"], blocked["id"], {"reason": "ok", "extra": 1}, 422, None),
    ):
        response = _release(service, model_id, twin_id, **body)
        assert response.status_code == status, (model_id, twin_id, body, response.text)
        assert code is None or response.json()["error"] == code
    assert counts(service.app.state.services.engine) == before
    assert _clearance(service, twin["id"])["verdict"] == "blocked"


def test_different_weights_are_unaffected(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _work(service)
    blocked = _model(service, "generator", item_of("astronaut"))
    # Another function of the same source file is another model, not the same weights.
    grey = _model(service, "grey", adapter="python:tests.support.fake_models:grey_generate")
    assert grey["weights_sha256"] == blocked["weights_sha256"]
    assert grey["clearance"]["verdict"] == "cleared"
    assert _clearance(service, grey["id"])["twins"] == []
    # A changed copy of the module is other weights; an unchanged copy is the same ones.
    monkeypatch.syspath_prepend(str(tmp_path))
    shutil.copy(FAKE_MODELS, tmp_path / "same_models.py")
    (tmp_path / "changed_models.py").write_text(FAKE_MODELS.read_text() + "\n# retrained\n")
    changed = _model(service, "changed", adapter="python:changed_models:gradient_generate")
    assert changed["weights_sha256"] != blocked["weights_sha256"]
    assert changed["clearance"]["verdict"] == "cleared"
    assert _clearance(service, changed["id"])["twins"] == []
    copied = _model(service, "copied", adapter="python:same_models:gradient_generate")
    assert copied["weights_sha256"] == blocked["weights_sha256"]
    assert copied["clearance"]["verdict"] == "blocked"
    # None of this touched the blocked model's own clearance or the unrelated ones.
    assert _clearance(service, blocked["id"])["trigger"] == "registered"
    assert _clearance(service, grey["id"])["trigger"] == "registered"
