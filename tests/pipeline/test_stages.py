"""Each stage on a hand-built context, without HTTP (tests/support/stages.py)."""

import hashlib

import numpy as np

from governance.pipeline.stage import Outcome
from governance.pipeline.stages.authenticate import Authenticate
from governance.pipeline.stages.input_rights import InputRights
from governance.pipeline.stages.label import LabelOutput
from governance.pipeline.stages.model import RunModel
from governance.pipeline.stages.prompt_check import PromptCheck
from governance.pipeline.stages.store import StoreOutput
from labeling.c2pa_read import inspect
from tests.support.call_helpers import _model
from tests.support.helpers import photo, png_bytes, register
from tests.support.model_helpers import GENERATOR
from tests.support.service_fixture import Service
from tests.support.stages import harness, output_of, seal


def _astronaut() -> np.ndarray:
    return np.asarray(photo("astronaut").convert("RGB"), dtype=np.uint8)


def _mask(shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape[:2], dtype=bool)
    mask[10:30, 10:40] = True
    return mask


def test_authenticate_records_who_asks(service: Service) -> None:
    model = _model(service)
    with harness(service) as h:
        result = Authenticate().run(h.generation(model, "a bowl of fruit"))
    assert result.outcome is Outcome.PASSED
    assert result.to_json()["evidence"] == {"actor": "key:test-operator", "role": "operator"}


def test_input_rights_refuses_a_protected_input_and_hands_its_terms_to_the_manifest(
    service: Service,
) -> None:
    terms = {"restoration": "notAllowed", "ai_training": "allowed"}
    work = register(service.client, service.keys["alice"], png_bytes("astronaut"), terms=terms)
    assert work.status_code == 201, work.text
    model = _model(service)
    image = _astronaut()
    with harness(service) as h:
        call = h.restoration(model, image, _mask(image.shape))
        result = InputRights().run(call)
    assert result.outcome is Outcome.REFUSED
    assert [r.code for r in result.reasons] == ["input_rights"]
    (matched,) = result.to_json()["evidence"]["matches"]
    assert matched["work_id"] == work.json()["id"] and matched["exact"]
    assert matched["terms"] == {"restoration": "notAllowed", "ai_inference": "unknown"}
    # What the output would carry, handed on through the context, not the evidence.
    assert call.manifest.training_mining == {"ai_training": "allowed", "ai_inference": "notAllowed"}


def test_input_rights_passes_an_input_that_matches_no_work(service: Service) -> None:
    model = _model(service)
    image = np.random.default_rng(4).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    with harness(service) as h:
        call = h.restoration(model, image, _mask(image.shape))
        result = InputRights().run(call)
    assert result.outcome is Outcome.PASSED
    assert result.to_json()["evidence"] == {"matches": []}
    assert call.manifest.training_mining == {}


def test_prompt_check_refuses_a_protected_title_and_flags_a_one_word_name(
    service: Service,
) -> None:
    protected = {"ai_generative_training": "notAllowed"}
    for name, title, creator in (
        ("astronaut", "The Night Watch", "Rembrandt"),
        ("coffee", "Portrait", "Anonymous"),
    ):
        response = register(
            service.client,
            service.keys["alice"],
            png_bytes(name),
            title=title,
            creator=creator,
            terms=protected,
        )
        assert response.status_code == 201, response.text
    model = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    with harness(service) as h:
        refused = PromptCheck().run(h.generation(model, "the night watch, as Rembrandt saw it"))
        flagged = PromptCheck().run(h.generation(model, "a portrait of a cat"))
    assert refused.outcome is Outcome.REFUSED
    assert refused.reasons[0].code == "prompt_names_protected_work"
    assert flagged.outcome is Outcome.PASSED and not flagged.reasons
    (named,) = flagged.to_json()["evidence"]["named_works"]
    assert named["flagged"] and not named["refuses"]


def test_the_model_stage_hands_its_output_on_or_fails(service: Service) -> None:
    good = _model(service)
    wrong = _model(
        service, name="wrong", adapter="python:tests.support.fake_models:wrong_size_restore"
    )
    image = _astronaut()[:64, :64].copy()
    with harness(service) as h:
        result, output = RunModel().run(h.restoration(good, image, _mask(image.shape)))
        broken, nothing = RunModel().run(h.restoration(wrong, image, _mask(image.shape)))
    assert result.outcome is Outcome.PASSED and output is not None
    assert output.pixels.shape == image.shape and output.pixels.dtype == np.uint8
    assert result.to_json()["evidence"]["run_ms"] >= 0
    assert broken.outcome is Outcome.FAILED and nothing is None
    # The python adapter checks the shape itself and says so as the model's error.
    assert broken.reasons[0].code == "model_error" and "63x64" in broken.reasons[0].detail


def test_the_label_stage_names_the_record_the_seal_hands_it(service: Service) -> None:
    model = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    pixels = np.random.default_rng(1).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    output = output_of(pixels)
    with harness(service) as h:
        result = LabelOutput().run(h.generation(model, "fruit"), output, seal(7, 42))
        anchors = h.services.c2pa_trust_anchors
    assert result.outcome is Outcome.PASSED, result.reasons
    evidence = result.to_json()["evidence"]
    assert evidence["call_audit_index"] == 42 and evidence["evidence_sha256"] == "ab" * 32
    assert output.label is not None and output.label.call_audit_index == 42
    assert output.file is not None and not np.array_equal(output.pixels, pixels)  # watermarked
    report = inspect(output.file, "image/png", anchors)
    assert report is not None and report.state == "Trusted"
    assert report.provenance is not None
    assert (report.provenance["call_id"], report.provenance["audit_index"]) == (7, 42)


def test_the_store_stage_keeps_the_labelled_file(service: Service) -> None:
    model = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    output = output_of(np.zeros((8, 8, 3), np.uint8))
    output.file = b"\x89PNG labelled"
    with harness(service) as h:
        result = StoreOutput().run(h.generation(model, "fruit"), output, seal())
    assert output.sha256 == hashlib.sha256(b"\x89PNG labelled").hexdigest()
    assert result.to_json()["evidence"] == {
        "sha256": output.sha256,
        "bytes": len(b"\x89PNG labelled"),
        "media_type": "image/png",
    }
