"""`GET /v1/works/{id}/usage`: the models trained on a work and the calls that matched it,
on each database."""

from typing import Any

import pytest

from governance.audit.related import related_subjects, subjects_for_export
from governance.db import unit_of_work
from tests.support.call_helpers import _mask, _model, generate, restore
from tests.support.helpers import auth, encode, np_image, photo, png_bytes, register
from tests.support.model_helpers import GENERATOR, item_of, manifest, register_model, unrelated_item
from tests.support.service_fixture import Service


def _usage(service: Service, work_id: int, key: str = "alice", **params: Any) -> Any:
    return service.client.get(
        f"/v1/works/{work_id}/usage", headers=auth(service.keys[key]), params=params
    )


def _model_json(service: Service, body: dict[str, Any], name: str) -> dict[str, Any]:
    response = register_model(service.client, service.keys["admin"], body, name=name)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_holder_sees_the_models_trained_on_their_work(service: Service) -> None:
    work = register(
        service.client,
        service.keys["alice"],
        png_bytes("astronaut"),
        terms={"ai_generative_training": "notAllowed"},
    ).json()
    register(
        service.client,
        service.keys["bob"],
        png_bytes("chelsea"),
        title="Bob's secret cat",
        terms={"ai_training": "notAllowed"},
    )
    both = manifest(item_of("astronaut"), item_of("chelsea"), unrelated_item(1))
    exact = _model_json(service, both, "exact")
    perceptual = _model_json(service, manifest(item_of("astronaut", exact=False)), "perceptual")
    _model_json(service, manifest(unrelated_item(2)), "unrelated")

    response = _usage(service, work["id"])
    assert response.status_code == 200, response.text
    usage = response.json()
    assert usage["work_id"] == work["id"]
    models = {m["name"]: m for m in usage["models"]}
    assert set(models) == {"exact", "perceptual"}
    assert models["exact"]["model_id"] == exact["id"]
    assert models["exact"]["kind"] == "restoration" and models["exact"]["version"] == "1"
    assert models["exact"]["verdict"] == exact["clearance"]["verdict"] == "blocked"
    assert [(i["match"], i["distance"]) for i in models["exact"]["items"]] == [("exact", 0)]
    assert models["exact"]["items_total"] == 1

    # A perceptual link shows its distance, the one the clearance judged by.
    [item] = models["perceptual"]["items"]
    assert item["match"] == "perceptual"
    clearance = service.client.get(
        f"/v1/models/{perceptual['id']}/clearance", headers=auth(service.keys["admin"])
    ).json()
    judged = clearance["uses"]["ai_generative_training"]["items"][0]
    assert item["distance"] == judged["distance"] <= 12

    uses = models["exact"]["uses"]
    assert uses["ai_generative_training"]["verdict"] == "blocked"
    assert "ai_generative_training" in uses["ai_generative_training"]["work_reasons"][0]
    # Bob's work blocks ai_training for the same model: the use's verdict says so, but the
    # reasons about Bob's work are not Alice's to read.
    assert uses["ai_training"]["verdict"] == "blocked"
    reasons = [r for use in uses.values() for r in use["work_reasons"]]
    assert reasons and not any("Bob's secret cat" in r for r in reasons)


def test_the_verdict_shown_is_the_one_in_force(service: Service) -> None:
    work = register(
        service.client,
        service.keys["alice"],
        png_bytes("camera"),
        terms={"ai_generative_training": "notAllowed"},
    ).json()
    _model_json(service, manifest(item_of("camera")), "trained")
    assert _usage(service, work["id"]).json()["models"][0]["verdict"] == "blocked"
    changed = service.client.put(
        f"/v1/works/{work['id']}/terms",
        headers=auth(service.keys["alice"]),
        json={"terms": {"ai_generative_training": "allowed"}},
    )
    assert changed.status_code == 200, changed.text
    [model] = _usage(service, work["id"]).json()["models"]
    assert model["verdict"] == "cleared"
    assert model["uses"]["ai_generative_training"]["verdict"] == "cleared"


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [
        ("bob", 403, "NotWorkOwner"),
        ("operator", 403, "Forbidden"),
        ("regulator", 403, "Forbidden"),
    ],
)
def test_others_cannot_read_a_works_usage(
    service: Service, key: str, status: int, code: str
) -> None:
    work = register(service.client, service.keys["alice"], png_bytes("clock")).json()
    response = _usage(service, work["id"], key)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code


def test_auditors_and_admins_read_any_work_and_a_missing_work_is_404(service: Service) -> None:
    work = register(service.client, service.keys["alice"], png_bytes("clock")).json()
    for key in ("auditor", "admin", "alice"):
        assert _usage(service, work["id"], key).json()["work_id"] == work["id"]
    missing = _usage(service, work["id"] + 1)
    assert (missing.status_code, missing.json()["error"]) == (404, "WorkNotFound")
    assert service.client.get(f"/v1/works/{work['id']}/usage").status_code == 401
    assert _usage(service, work["id"], limit=0).status_code == 422


def test_calls_whose_input_matched_the_work_and_which_it_refused(service: Service) -> None:
    alice = register(
        service.client,
        service.keys["alice"],
        png_bytes("coins"),
        terms={"restoration": "allowed"},
    ).json()
    model = _model(service)
    mask = _mask(*photo("coins").size)
    allowed = restore(service, png_bytes("coins"), mask, model).json()
    assert allowed["status"] == "pending_review"
    # Another holder registers the same picture, re-encoded, and forbids restoring it.
    bob = register(
        service.client,
        service.keys["bob"],
        encode(photo("coins"), "JPEG", quality=90),
        terms={"restoration": "notAllowed"},
    ).json()
    assert bob["id"] != alice["id"]
    # A copy of Alice's work: disputed, its terms bind no one until an admin upholds it.
    assert bob["status"] == "disputed"
    assert [w["work_id"] for w in bob["disputed_works"]] == [alice["id"]]
    passed = restore(service, png_bytes("coins"), mask, model).json()
    assert passed["status"] == "pending_review"
    upheld = service.client.post(
        f"/v1/works/{bob['id']}/dispute",
        headers=auth(service.keys["admin"]),
        json={"resolution": "upheld", "comment": "Bob holds the rights to this scan"},
    )
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld", upheld.text
    refused = restore(service, png_bytes("coins"), mask, model).json()
    assert refused["status"] == "blocked"
    unrelated = restore(service, encode(np_image(4)), _mask(64, 64), model).json()
    assert unrelated["status"] == "pending_review"

    calls = _usage(service, alice["id"]).json()["calls"]
    # Newest first.
    assert [c["call_id"] for c in calls] == [refused["id"], passed["id"], allowed["id"]]
    assert all(c["matched"] == "input" and c["kind"] == "restoration" for c in calls)
    assert [c["status"] for c in calls] == ["blocked", "pending_review", "pending_review"]
    # Alice's work allowed them all: the refusal was Bob's work's doing.
    assert not any(c["refused_because_of_this_work"] for c in calls)
    bobs = _usage(service, bob["id"], "bob").json()["calls"]
    assert [c["call_id"] for c in bobs] == [refused["id"], passed["id"]]
    # While disputed, Bob's terms bound no one: that call was not his work's refusal.
    assert [c["refused_because_of_this_work"] for c in bobs] == [True, False]

    first = _usage(service, alice["id"], limit=1).json()
    assert [c["call_id"] for c in first["calls"]] == [refused["id"]] and first["calls_more"]
    last = _usage(service, alice["id"], limit=1, offset=2).json()
    assert [c["call_id"] for c in last["calls"]] == [allowed["id"]]
    assert not last["calls_more"]

    # What an audit export by `work:N` should select: the work and its calls, all logged.
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        subjects = related_subjects(session, alice["id"])
        assert subjects_for_export(session, f"work:{alice['id']}") == subjects
        assert subjects_for_export(session, f"call:{refused['id']}") == [f"call:{refused['id']}"]
        # Only a work's own subject expands: a padded number names no work's entries.
        padded = f"work:0{alice['id']}"
        assert subjects_for_export(session, padded) == [padded]
        assert related_subjects(session, bob["id"]) == [
            f"work:{bob['id']}",
            f"call:{passed['id']}",
            f"call:{refused['id']}",
        ]
    assert subjects == [
        f"work:{alice['id']}",
        f"call:{allowed['id']}",
        f"call:{passed['id']}",
        f"call:{refused['id']}",
    ]
    for subject in subjects:
        logged = service.client.get(
            "/v1/audit/entries",
            headers=auth(service.keys["auditor"]),
            params={"subject": subject},
        ).json()
        assert logged["entries"], subject


def test_a_work_named_elsewhere_in_a_calls_evidence_is_not_an_input_match(
    service: Service,
) -> None:
    work = register(
        service.client,
        service.keys["alice"],
        png_bytes("brick"),
        title="The Night Watch",
        creator="Rembrandt van Rijn",
        terms={"ai_generative_training": "notAllowed"},
    ).json()
    painter = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    call = generate(service, painter, prompt="a portrait by rembrandt van rijn").json()
    # The call's evidence names the work (the prompt check), so the text prefilter reads
    # it; it is not an input match, so it is not served as one.
    named = next(s for s in call["stages"] if s["name"] == "prompt_check")["evidence"]
    assert named["named_works"][0]["work_id"] == work["id"]
    assert _usage(service, work["id"]).json()["calls"] == []
