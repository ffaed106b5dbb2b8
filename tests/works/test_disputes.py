"""A near copy of another holder's work is registered disputed: both holders and auditors
see it, its terms bind no one until an admin resolves it, and the resolution is audited."""

import json
from typing import Any

from PIL import Image

from tests.support.call_helpers import _mask, _model, generate, restore
from tests.support.helpers import auth, encode, photo, png_bytes, register
from tests.support.model_helpers import (
    GENERATOR,
    item_of,
    manifest,
    register_model,
    unrelated_item,
)
from tests.support.service_fixture import Service


def _get(service: Service, key: str, work_id: int) -> Any:
    return service.client.get(f"/v1/works/{work_id}", headers=auth(service.keys[key]))


def _resolve(service: Service, work_id: int, resolution: str, key: str = "admin") -> Any:
    return service.client.post(
        f"/v1/works/{work_id}/dispute",
        headers=auth(service.keys[key]),
        json={"resolution": resolution, "comment": f"{resolution} after review"},
    )


def _entries(service: Service, work_id: int) -> list[dict[str, Any]]:
    return service.client.get(
        "/v1/audit/entries",
        headers=auth(service.keys["auditor"]),
        params={"subject": f"work:{work_id}"},
    ).json()["entries"]


def _crop(image: Image.Image) -> Image.Image:
    dx, dy = image.width // 10, image.height // 10
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def test_a_copy_of_another_holders_work_is_registered_disputed(service: Service) -> None:
    alice = register(service.client, service.keys["alice"], png_bytes("astronaut")).json()
    assert alice["status"] == "registered" and alice["disputed_by"] == []
    # Bob registers a 10% crop of it, re-encoded: found by its local features.
    response = register(
        service.client, service.keys["bob"], encode(_crop(photo("astronaut")), "JPEG", quality=85)
    )
    assert response.status_code == 201, response.text
    bob = response.json()
    assert bob["status"] == "disputed" and not bob["binds"]
    [claim] = bob["disputed_works"]
    assert claim["work_id"] == alice["id"] and claim["holder_id"] == alice["holder_id"]
    assert claim["inliers"] >= 12 and bob["dispute_resolution"] is None
    # Both holders see it, on their own work; auditors see both works.
    seen_by_alice = _get(service, "alice", alice["id"]).json()
    assert seen_by_alice["disputed_by"] == [
        {"work_id": bob["id"], "holder_id": bob["holder_id"], "status": "disputed"}
    ]
    assert _get(service, "bob", bob["id"]).json()["status"] == "disputed"
    listed = service.client.get("/v1/works", headers=auth(service.keys["auditor"])).json()
    statuses = {w["id"]: (w["status"], len(w["disputed_by"])) for w in listed["items"]}
    assert statuses == {alice["id"]: ("registered", 1), bob["id"]: ("disputed", 0)}
    # Audited as its own typed entry, after the registration.
    kinds = [e["kind"] for e in _entries(service, bob["id"])]
    assert kinds == ["work.registered", "work.disputed"]
    disputed = json.loads(_entries(service, bob["id"])[1]["entry"])["data"]
    assert [m["work_id"] for m in disputed["matches"]] == [alice["id"]]
    # An unrelated picture of Bob's is not disputed.
    other = register(service.client, service.keys["bob"], png_bytes("coffee")).json()
    assert other["status"] == "registered" and other["disputed_works"] == []


def test_a_disputed_works_terms_bind_no_one_until_upheld(service: Service) -> None:
    alice = register(
        service.client,
        service.keys["alice"],
        png_bytes("coins"),
        title="Roman coins",
        terms={"restoration": "allowed", "ai_training": "allowed"},
    ).json()
    bob = register(
        service.client,
        service.keys["bob"],
        encode(photo("coins"), "JPEG", quality=90),
        title="Zyxwvutsrq hoard",
        terms={
            "restoration": "notAllowed",
            "ai_training": "notAllowed",
            "ai_generative_training": "notAllowed",
        },
    ).json()
    assert bob["status"] == "disputed"
    restorer = _model(service)
    mask = _mask(*photo("coins").size)
    # Restoration: Bob's refusal binds no one; Alice's terms allow it.
    passed = restore(service, png_bytes("coins"), mask, restorer).json()
    assert passed["status"] != "blocked", passed["reasons"]
    stage = next(s for s in passed["stages"] if s["name"] == "input_rights")
    binds = {m["work_id"]: m["binds"] for m in stage["evidence"]["matches"]}
    assert binds == {alice["id"]: True, bob["id"]: False}
    # Training data: a model trained on the picture is cleared by Alice's terms.
    trained = register_model(
        service.client,
        service.keys["admin"],
        manifest(item_of("coins", exact=False)),
        name="trained",
    ).json()
    assert trained["clearance"]["verdict"] == "cleared", trained["clearance"]
    # Prompts: naming Bob's title refuses nothing while it is disputed.
    generator = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(1)),
        name="generator",
        kind="generation",
        adapter=GENERATOR,
    ).json()
    named = generate(service, generator["id"], prompt="the Zyxwvutsrq hoard at night").json()
    assert named["status"] != "blocked", named["reasons"]

    upheld = _resolve(service, bob["id"], "upheld")
    assert upheld.status_code == 200, upheld.text
    body = upheld.json()
    assert body["status"] == "upheld" and body["binds"]
    assert body["dispute_resolution"]["resolution"] == "upheld"
    assert body["dispute_resolution"]["resolved_by"].startswith("key:")
    # Now Bob's terms bind: the restoration, the model and the prompt are refused.
    refused = restore(service, png_bytes("coins"), mask, restorer).json()
    assert refused["status"] == "blocked"
    assert str(bob["id"]) in refused["reasons"][0]["detail"]
    clearance = service.client.get(
        f"/v1/models/{trained['id']}/clearance", headers=auth(service.keys["operator"])
    ).json()
    assert clearance["verdict"] == "blocked"
    named = generate(service, generator["id"], prompt="the Zyxwvutsrq hoard at night").json()
    assert [r["code"] for r in named["reasons"]] == ["prompt_names_protected_work"]
    resolved = json.loads(_entries(service, bob["id"])[-1]["entry"])
    assert resolved["kind"] == "work.dispute_resolved"
    assert resolved["data"]["resolution"] == "upheld"
    assert resolved["data"]["other_works"] == [alice["id"]]


def test_a_rejected_claim_never_binds_and_the_earlier_work_still_does(service: Service) -> None:
    alice = register(
        service.client,
        service.keys["alice"],
        png_bytes("chelsea"),
        terms={"restoration": "notAllowed"},
    ).json()
    bob = register(
        service.client,
        service.keys["bob"],
        encode(photo("chelsea").transpose(Image.Transpose.ROTATE_90), "PNG"),
        terms={"restoration": "allowed"},
    ).json()
    assert bob["status"] == "disputed"
    rejected = _resolve(service, bob["id"], "rejected")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert not rejected.json()["binds"]
    assert _get(service, "alice", alice["id"]).json()["disputed_by"][0]["status"] == "rejected"
    # The earlier work's refusal binds whatever became of the dispute.
    model = _model(service)
    call = restore(service, png_bytes("chelsea"), _mask(*photo("chelsea").size), model).json()
    assert call["status"] == "blocked" and str(alice["id"]) in call["reasons"][0]["detail"]


def test_only_admins_resolve_open_disputes_of_works_that_exist(service: Service) -> None:
    register(service.client, service.keys["alice"], png_bytes("rocket"))
    bob = register(
        service.client, service.keys["bob"], encode(photo("rocket"), "WEBP", quality=80)
    ).json()
    assert bob["status"] == "disputed"
    before = len(_entries(service, bob["id"]))
    for key in ("alice", "bob", "auditor", "operator"):
        refused = _resolve(service, bob["id"], "upheld", key)
        assert refused.status_code == 403, (key, refused.text)
    missing = _resolve(service, bob["id"] + 100, "upheld")
    assert (missing.status_code, missing.json()["error"]) == (404, "WorkNotFound")
    bad = service.client.post(
        f"/v1/works/{bob['id']}/dispute",
        headers=auth(service.keys["admin"]),
        json={"resolution": "maybe", "comment": "x"},
    )
    assert bad.status_code == 422
    assert _resolve(service, bob["id"], "rejected").status_code == 200
    again = _resolve(service, bob["id"], "upheld")
    assert (again.status_code, again.json()["error"]) == (409, "DisputeNotOpen")
    # A work that was never disputed has nothing to resolve either.
    other = register(service.client, service.keys["alice"], png_bytes("coffee")).json()
    assert _resolve(service, other["id"], "upheld").status_code == 409
    # One entry for the one resolution; the refused attempts left nothing.
    assert len(_entries(service, bob["id"])) == before + 1


def test_ones_own_near_copy_is_still_a_duplicate(service: Service) -> None:
    first = register(service.client, service.keys["alice"], png_bytes("astronaut")).json()
    before = service.stored()
    turned = encode(photo("astronaut").transpose(Image.Transpose.ROTATE_270), "JPEG", quality=85)
    response = register(service.client, service.keys["alice"], turned)
    assert response.status_code == 409, response.text
    assert response.json()["error"] == "DuplicateWork"
    assert f"work {first['id']}," in response.json()["detail"]
    assert service.stored() == before
