"""assess_synthetic: every active, cleared detector scores the image; none is a refusal."""

from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session

from governance.db import request_session
from governance.detectors.assess import assess_synthetic
from governance.detectors.calibrate import calibrate_detector
from governance.detectors.schemas import SyntheticVerdict
from governance.services import Services
from tests.detectors.helpers import grey_image, register_detector, toy_sets
from tests.support.service_fixture import Service


def services_of(service: Service) -> Services:
    services: Services = service.app.state.services
    return services


def assess(service: Service, image: np.ndarray):  # type: ignore[no-untyped-def]
    services = services_of(service)
    with request_session(services.engine) as session:
        return assess_synthetic(session, services, image)


def calibrate(service: Service, model: int, root: Path) -> None:
    services = services_of(service)
    real, synthetic = toy_sets(root)
    with request_session(services.engine) as session:
        calibrate_detector(session, services, model, real, synthetic, "test")


def test_no_detector_gives_no_verdict(service: Service) -> None:
    out = assess(service, grey_image(0.5, 0))
    assert out.verdict is SyntheticVerdict.NO_DETECTOR
    assert out.score is None and out.detectors == [] and out.failed == []


def test_an_uncalibrated_detector_gives_its_raw_score_only(service: Service) -> None:
    model_id = register_detector(service, "bright", "brightness")
    image = grey_image(0.7, 1)
    out = assess(service, image)
    assert out.verdict is SyntheticVerdict.UNCALIBRATED and out.score is None
    [score] = out.detectors
    assert score.model_id == model_id and score.name == "bright"
    assert score.raw_score == pytest.approx(image.mean() / 255)
    assert score.probability is None and score.threshold is None
    assert score.calibration_id is None and score.verdict is SyntheticVerdict.UNCALIBRATED


def test_a_calibrated_detector_flags_by_its_threshold(service: Service, tmp_path: Path) -> None:
    model_id = register_detector(service, "bright", "brightness")
    calibrate(service, model_id, tmp_path)
    bright, dark = assess(service, grey_image(0.85, 2)), assess(service, grey_image(0.2, 3))
    assert bright.verdict is SyntheticVerdict.LIKELY_SYNTHETIC
    assert dark.verdict is SyntheticVerdict.NOT_FLAGGED
    for out in (bright, dark):
        [score] = out.detectors
        assert score.calibration_id is not None and score.target_fpr == 0.05
        assert score.probability is not None and score.threshold is not None
        assert out.score == score.probability
    assert bright.score is not None and dark.score is not None
    assert bright.score > 0.9 > 0.1 > dark.score


def test_one_calibrated_and_one_uncalibrated_detector(service: Service, tmp_path: Path) -> None:
    bright = register_detector(service, "bright", "brightness")
    red = register_detector(service, "red", "redness")
    calibrate(service, bright, tmp_path)
    out = assess(service, grey_image(0.2, 4))
    assert [s.model_id for s in out.detectors] == [bright, red]
    assert out.verdict is SyntheticVerdict.NOT_FLAGGED  # the calibrated one decides
    assert out.score == out.detectors[0].probability
    assert out.detectors[1].verdict is SyntheticVerdict.UNCALIBRATED
    assert out.detectors[1].raw_score == pytest.approx(1 / 3, abs=1e-9)


def test_failing_detectors_are_reported_not_raised(service: Service) -> None:
    register_detector(service, "broken", "broken")
    register_detector(service, "wild", "out_of_range")
    out = assess(service, grey_image(0.5, 5))
    assert out.verdict is SyntheticVerdict.NO_DETECTOR and out.detectors == []
    assert [(f.name, f.code) for f in out.failed] == [
        ("broken", "model_error"),
        ("wild", "model_error"),
    ]
    assert "always fails" in out.failed[0].detail


def test_only_the_newest_usable_version_of_a_name_runs(service: Service) -> None:
    first = register_detector(service, "bright", "brightness")
    second = register_detector(service, "bright", "brightness", version="2")
    assert [s.model_id for s in assess(service, grey_image(0.5, 6)).detectors] == [second]
    retired = service.client.post(
        f"/v1/models/{second}/retire",
        headers={"Authorization": f"Bearer {service.keys['admin']}"},
        json={"reason": "superseded"},
    )
    assert retired.status_code == 200, retired.text
    assert [s.model_id for s in assess(service, grey_image(0.5, 6)).detectors] == [first]


def test_a_detector_that_is_not_cleared_does_not_run(service: Service) -> None:
    from tests.support.model_helpers import manifest, register_model, unrelated_item

    response = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(7), license="LicenseRef-proprietary", legal_basis="license"),
        name="unlicensed",
        kind="detector",
        adapter="python:tests.detectors.toy_detectors:brightness",
    )
    assert response.status_code == 201, response.text
    assert response.json()["clearance"]["verdict"] != "cleared"
    assert assess(service, grey_image(0.5, 7)).verdict is SyntheticVerdict.NO_DETECTOR


def test_grey_and_rgba_images_are_scored_as_rgb(service: Service) -> None:
    register_detector(service, "red", "redness")
    grey = grey_image(0.5, 8)[:, :, 0]
    rgba = np.dstack([grey_image(0.5, 8), np.zeros(grey.shape, np.uint8)])
    for image in (grey, rgba):
        [score] = assess(service, image).detectors
        assert score.raw_score == pytest.approx(1 / 3, abs=1e-9)
    with pytest.raises(ValueError):
        assess(service, np.zeros((4, 4), dtype=np.float32))


def test_no_transaction_is_held_while_detectors_run(service: Service) -> None:
    register_detector(service, "bright", "brightness")
    services = services_of(service)
    with request_session(services.engine) as session:
        assess_synthetic(session, services, grey_image(0.5, 9))
        assert not session.in_transaction()
    with Session(services.engine) as plain:  # outside a request: nothing to end
        assert assess_synthetic(plain, services, grey_image(0.5, 9)).detectors


def test_a_transformers_detector_is_registered_and_scores(service: Service, tmp_path: Path) -> None:
    from tests.adapters.tiny_classifiers import save_tiny_vit
    from tests.support.model_helpers import manifest, register_model, unrelated_item

    directory = save_tiny_vit(tmp_path / "vit")
    good = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(11)),
        name="vit-detector",
        kind="detector",
        adapter=f"transformers:{directory}",
    )
    assert good.status_code == 201, good.text
    [score] = assess(service, grey_image(0.5, 10)).detectors
    assert score.name == "vit-detector" and 0.0 < score.raw_score < 1.0
    assert score.weights_sha256 == good.json()["weights_sha256"]
    unlabelled = save_tiny_vit(tmp_path / "cats", {0: "cat", 1: "dog"})
    bad = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(12)),
        name="cat-detector",
        kind="detector",
        adapter=f"transformers:{unlabelled}",
    )
    assert bad.status_code == 422 and bad.json()["error"] == "ModelLoadFailed"
    assert "no class label names synthetic images" in bad.json()["detail"]


def test_changed_weights_are_reported_not_scored(service: Service, tmp_path: Path) -> None:
    from tests.adapters.tiny_classifiers import save_tiny_vit
    from tests.support.model_helpers import manifest, register_model, unrelated_item

    directory = save_tiny_vit(tmp_path / "vit")
    registered = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(13)),
        name="vit-detector",
        kind="detector",
        adapter=f"transformers:{directory}",
    )
    assert registered.status_code == 201, registered.text
    save_tiny_vit(directory, seed=5)  # other weights in the registered folder
    out = assess(service, grey_image(0.5, 11))
    assert out.detectors == [] and out.verdict is SyntheticVerdict.NO_DETECTOR
    assert [f.code for f in out.failed] == ["weights_changed"]
