"""Governed restorations and generations through the pipeline, on each database."""

import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.support.call_helpers import _conservator, _mask, _model, generate, restore
from tests.support.helpers import auth, encode, np_image, photo, png_bytes, register
from tests.support.model_helpers import (
    GENERATOR,
    counts,
    item_of,
)
from tests.support.service_fixture import Service, make_service

STAGES = ["authenticate", "clearance", "input_rights", "model", "screen", "label", "store_output"]


def test_a_restoration_waits_for_review_and_keeps_its_evidence(service: Service) -> None:
    _conservator(service)
    model = _model(service)
    image = np_image(5, 64)
    response = restore(service, encode(image), _mask(64, 64), model)
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["status"] == "pending_review"
    assert [s["name"] for s in call["stages"]] == STAGES
    assert all(s["outcome"] == "passed" for s in call["stages"])
    assert call["stages"][3]["evidence"]["weights_sha256"] == call["model"]["weights_sha256"]
    assert call["request"]["damaged_pixels"] == 200
    # Not released yet: the operator may not fetch it, a conservator may.
    url = call["output_url"]
    assert service.client.get(url, headers=auth(service.keys["operator"])).status_code == 403
    fetched = service.client.get(url, headers=auth(service.keys["conservator"]))
    assert fetched.status_code == 200 and fetched.headers["content-type"] == "image/png"
    out = np.asarray(Image.open(io.BytesIO(fetched.content)))
    source = np.asarray(image)
    outside = np.ones((64, 64), bool)
    outside[10:20, 10:30] = False
    # Outside the mask only the watermark moves pixels, by a few levels.
    change = np.abs(out[outside].astype(int) - source[outside])
    assert change.mean() < 3 and np.percentile(change, 99) <= 8
    blurred = np.abs(out[~outside].astype(int) - source[~outside])
    assert blurred.mean() > 2 * change.mean()
    again = service.client.get(f"/v1/calls/{call['id']}", headers=auth(service.keys["auditor"]))
    assert again.json() == call
    entries = service.client.get(
        f"/v1/audit/entries?subject=call:{call['id']}", headers=auth(service.keys["auditor"])
    ).json()["entries"]
    # The call's own entry, then its label's.
    assert [e["kind"] for e in entries] == ["call.recorded", "output.labelled"]
    assert entries[0]["index"] == call["audit_index"]
    recorded = json.loads(entries[0]["entry"])["data"]
    assert recorded["output_sha256"] == call["output_sha256"]
    assert recorded["status"] == "pending_review"


def test_a_generation_is_released(service: Service) -> None:
    model = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    call = generate(service, model).json()
    assert call["status"] == "released"
    assert [s["name"] for s in call["stages"]] == [
        "authenticate",
        "clearance",
        "prompt_check",
        "model",
        "screen",
        "label",
        "store_output",
    ]
    fetched = service.client.get(call["output_url"], headers=auth(service.keys["regulator"]))
    assert fetched.status_code == 200
    assert Image.open(io.BytesIO(fetched.content)).size == (96, 64)


def test_a_blocked_model_is_refused_and_the_refusal_recorded(service: Service) -> None:
    register(
        service.client,
        service.keys["alice"],
        png_bytes("astronaut"),
        terms={"ai_generative_training": "notAllowed"},
    )
    model = _model(service, item_of("astronaut"))
    before = counts(service.app.state.services.engine)
    call = restore(service, encode(np_image(1)), _mask(64, 64), model).json()
    assert call["status"] == "blocked"
    assert call["reasons"][0]["code"] == "model_blocked"
    assert "does not allow ai_generative_training" in call["reasons"][0]["detail"]
    assert [s["name"] for s in call["stages"]] == ["authenticate", "clearance"]
    assert call["output_url"] is None
    missing = service.client.get(
        f"/v1/calls/{call['id']}/output", headers=auth(service.keys["auditor"])
    )
    assert missing.status_code == 404 and missing.json()["error"] == "NoOutput"
    after = counts(service.app.state.services.engine)
    assert after["model_calls"] == before["model_calls"] + 1
    assert after["audit_entries"] == before["audit_entries"] + 1


@pytest.mark.parametrize(
    "terms",
    [
        {"restoration": "notAllowed"},
        {"ai_inference": "notAllowed"},
        {"restoration": {"use": "constrained", "constraint_info": "by our studio only"}},
    ],
)
def test_restoring_a_work_whose_terms_forbid_it_is_refused(service: Service, terms) -> None:
    work = register(service.client, service.keys["bob"], png_bytes("coins"), terms=terms).json()
    model = _model(service)
    copy = encode(photo("coins"), "JPEG", quality=80)  # a re-encoded copy is still the work
    call = restore(service, copy, _mask(*photo("coins").size), model).json()
    assert call["status"] == "blocked"
    assert call["reasons"][0]["code"] == "input_rights"
    evidence = call["stages"][2]["evidence"]["matches"][0]
    assert evidence["work_id"] == work["id"]


def test_restoring_a_work_that_allows_it_proceeds(service: Service) -> None:
    register(
        service.client, service.keys["bob"], png_bytes("coins"), terms={"restoration": "allowed"}
    )
    model = _model(service)
    call = restore(service, png_bytes("coins"), _mask(*photo("coins").size), model).json()
    assert call["status"] == "pending_review"
    assert call["stages"][2]["evidence"]["matches"][0]["terms"]["restoration"] == "allowed"


@pytest.mark.parametrize(
    ("prompt", "blocked"),
    [
        ("a night watch scene in the style of the old masters", False),
        ("The Night-Watch, but at dawn", False),  # common words only: flagged (issue 11)
        ("a portrait in the manner of rembrandt van rijn", True),
        ("a portrait of a cat in the style of Jan Steen", False),  # Steen allows it
    ],
)
def test_prompts_naming_protected_works_or_creators_are_refused(
    service: Service, prompt: str, blocked: bool
) -> None:
    alice, bob = service.keys["alice"], service.keys["bob"]
    register(
        service.client,
        alice,
        png_bytes("brick"),
        title="The Night Watch",
        creator="Rembrandt van Rijn",
        terms={"ai_generative_training": "notAllowed"},
    )
    register(
        service.client,
        bob,
        png_bytes("gravel"),
        title="The Merry Family",
        creator="Jan Steen",
        terms={"ai_generative_training": "allowed"},
    )
    model = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    call = generate(service, model, prompt=prompt).json()
    assert call["status"] == ("blocked" if blocked else "released"), call["reasons"]
    if blocked:
        assert call["reasons"][0]["code"] == "prompt_names_protected_work"


def test_one_word_names_are_flagged_not_refused_and_hidden_characters_do_not_help(
    service: Service,
) -> None:
    register(
        service.client,
        service.keys["bob"],
        png_bytes("page"),
        title="Portrait",
        creator="Anonymous",
        terms={"ai_generative_training": "notAllowed"},
    )
    register(
        service.client,
        service.keys["alice"],
        png_bytes("brick"),
        title="The Night Watch",
        creator="Rembrandt van Rijn",
        terms={"ai_generative_training": "notAllowed"},
    )
    model = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    common = generate(service, model, prompt="a portrait of my grandmother").json()
    assert common["status"] == "released"
    flags = common["stages"][2]["evidence"]["named_works"]
    assert flags[0]["flagged"] and not flags[0]["refuses"]
    hidden = generate(service, model, prompt="after Rembr\u200bandt van\u2060 Rijn").json()
    assert hidden["status"] == "blocked"


def test_masks_are_read_by_their_depth(service: Service) -> None:
    model = _model(service)
    sixteen = np.zeros((64, 64), dtype=np.uint16)
    sixteen[5:9, 5:9] = 65535
    sixteen[20:30, 20:30] = 255  # dark in 16 bits: not damage
    call = restore(service, encode(np_image(3)), encode(Image.fromarray(sixteen)), model).json()
    assert call["status"] == "pending_review", call
    assert call["request"]["damaged_pixels"] == 16
    # White everywhere, but transparent outside one box: only the box is damage.
    rgba = np.zeros((64, 64, 4), dtype=np.uint8)
    rgba[..., :3] = 255
    rgba[40:44, 40:44, 3] = 255
    call = restore(service, encode(np_image(3)), encode(Image.fromarray(rgba)), model).json()
    assert call["request"]["damaged_pixels"] == 16


@pytest.mark.parametrize(
    ("function", "code"),
    [
        ("raising_restore", "model_error"),
        ("wrong_size_restore", "model_output_invalid"),
        ("returns_none", "model_error"),
    ],
)
def test_model_errors_are_recorded_as_failed_calls(service: Service, function, code) -> None:
    model = _model(service, adapter=f"python:tests.support.fake_models:{function}")
    call = restore(service, encode(np_image(2)), _mask(64, 64), model).json()
    assert call["status"] == "failed", call
    assert call["reasons"][0]["code"] in {code, "model_output_invalid", "model_error"}
    assert call["output_url"] is None


def test_a_model_past_its_time_limit_fails(database_url: str, tmp_path: Path) -> None:
    service = make_service(database_url, tmp_path / "data", model_timeout_seconds=0.3)
    model = _model(service, adapter="python:tests.support.fake_models:slow_restore")
    call = restore(service, encode(np_image(2)), _mask(64, 64), model).json()
    assert call["status"] == "failed"
    assert call["reasons"][0]["code"] == "model_timeout"
    service.app.state.services.engine.dispose()


def test_weights_changed_since_registration_are_refused(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "museum_model.py"
    module.write_text("def restore(image, mask):\n    return image * 0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model = _model(service, adapter="python:museum_model:restore")
    module.write_text("def restore(image, mask):\n    return image * 0  # retrained\n")
    call = restore(service, encode(np_image(2)), _mask(64, 64), model).json()
    assert call["status"] == "blocked"
    assert call["reasons"][0]["code"] == "weights_changed"
    # Registered again, the new code is what runs, not the copy imported before.
    module.write_text("def restore(image, mask):\n    return image * 0 + 255\n")
    retrained = _model(service, adapter="python:museum_model:restore", name="retrained")
    _conservator(service)
    call = restore(service, encode(np_image(2)), _mask(64, 64), retrained).json()
    out = service.client.get(call["output_url"], headers=auth(service.keys["conservator"]))
    assert np.asarray(Image.open(io.BytesIO(out.content)))[15, 15].tolist() == [255, 255, 255]
    sys.modules.pop("museum_model", None)


def test_bad_calls_are_refused_and_store_nothing(service: Service) -> None:
    restorer = _model(service)
    painter = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    engine = service.app.state.services.engine
    before = counts(engine)
    image, mask = encode(np_image(3)), _mask(64, 64)
    cases = [
        (restore(service, image, mask, 999), 404, "ModelNotFound"),
        (restore(service, image, mask, painter), 422, "WrongModelKind"),
        (restore(service, image, _mask(32, 32), restorer), 422, "InvalidMask"),
        (restore(service, image, encode(Image.new("L", (64, 64))), restorer), 422, "InvalidMask"),
        (restore(service, b"not an image", mask, restorer), 415, "NotAnImage"),
        (restore(service, image, mask, restorer, key="alice"), 403, "Forbidden"),
        (generate(service, painter, prompt="x" * 501), 422, "InvalidInput"),
        (generate(service, painter, prompt="   "), 422, "InvalidInput"),
        (generate(service, painter, width=4096), 422, "InvalidInput"),
        (generate(service, painter, height=8), 422, "InvalidInput"),
        (generate(service, painter, seed=-1), 422, "InvalidRequest"),
        (generate(service, painter, seed=True), 422, "InvalidRequest"),
        (generate(service, painter, width=64.0), 422, "InvalidRequest"),
        (generate(service, restorer), 422, "WrongModelKind"),
        (generate(service, painter, prompt="a\x00b"), 422, "InvalidRequest"),
        (
            service.client.post(
                "/v1/restorations",
                headers=auth(service.keys["operator"]),
                files={"file": ("i.png", image, "image/png"), "mask": ("m.png", mask, "image/png")},
                data={"metadata": json.dumps({"model": restorer, "parameters": {"x": 1e308}})},
            ),
            422,
            "InvalidMetadata",
        ),
    ]
    no_mask = service.client.post(
        "/v1/restorations",
        headers=auth(service.keys["operator"]),
        files={"file": ("in.png", image, "image/png")},
        data={"metadata": json.dumps({"model": restorer})},
    )
    cases.append((no_mask, 422, "InvalidRequest"))
    no_metadata = service.client.post(
        "/v1/restorations",
        headers=auth(service.keys["operator"]),
        files={"file": ("in.png", image, "image/png"), "mask": ("m.png", mask, "image/png")},
    )
    cases.append((no_metadata, 422, "InvalidMetadata"))
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.json()["error"] == code, response.text
    assert counts(engine) == before
    files = [p for p in service.settings.blob_dir.rglob("*") if p.is_file()]
    assert files == []


def test_an_input_larger_than_models_take_is_refused(database_url: str, tmp_path: Path) -> None:
    service = make_service(database_url, tmp_path / "data", max_model_pixels=1000)
    model = _model(service)
    response = restore(service, encode(np_image(3)), _mask(64, 64), model)
    assert response.status_code == 413 and response.json()["error"] == "InputTooLarge"
    service.app.state.services.engine.dispose()


def test_a_transformers_model_from_a_local_directory_is_governed(
    service: Service, tmp_path: Path
) -> None:
    from tests.support.tiny_models import save_tiny_swin2sr

    directory = save_tiny_swin2sr(tmp_path / "swin2sr")
    model = _model(service, adapter=f"transformers:{directory.resolve()}", name="swin")
    call = restore(service, encode(np_image(4, 40)), _mask(40, 40), model).json()
    assert call["status"] == "pending_review", call
    assert call["stages"][3]["evidence"]["adapter"].startswith("transformers:")
    # Anything added to the model's directory changes what is loaded: refused.
    (directory / "training-notes.txt").write_text("fine-tuned on new scans")
    again = restore(service, encode(np_image(4, 40)), _mask(40, 40), model).json()
    assert again["status"] == "blocked"
    assert again["reasons"][0]["code"] == "weights_changed"
    # A directory that no longer loads at all fails the call, recorded.
    next(directory.glob("*.safetensors")).write_bytes(b"truncated")
    broken = restore(service, encode(np_image(4, 40)), _mask(40, 40), model).json()
    assert broken["status"] == "failed"
    assert broken["reasons"][0]["code"] == "model_unavailable"


def test_a_second_metadata_part_of_a_restoration_is_refused(service: Service) -> None:
    model = _model(service)
    before = counts(service.app.state.services.engine)
    response = service.client.post(
        "/v1/restorations",
        headers=auth(service.keys["operator"]),
        files=[
            ("file", ("in.png", encode(np_image(2)), "image/png")),
            ("mask", ("mask.png", _mask(64, 64), "image/png")),
            ("metadata", (None, json.dumps({"model": model}))),
            ("metadata", (None, json.dumps({"model": model, "visible_label": True}))),
        ],
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "InvalidInput"
    assert "exactly one 'metadata' part" in response.json()["detail"]
    assert counts(service.app.state.services.engine) == before
