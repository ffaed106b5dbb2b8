"""The built-in AI-made-image detector: held out by photograph, it tells them apart."""

from pathlib import Path

import numpy as np
import pytest
import torch

from governance.adapters.base import ModelKind
from governance.adapters.hashing import file_sha256
from governance.adapters.loader import ModelLoader, parse_adapter
from governance.builtin import detector
from governance.builtin.detector import CROP, BuiltinDetector, grey_crops
from governance.builtin.detector_data import jpeg, random_crop, reupsample
from governance.builtin.detector_manifest import (
    DETECTOR_HELD_OUT,
    DETECTOR_TRAINING,
    detector_training_manifest,
)
from governance.builtin.photos import LICENSED, load_photo
from governance.builtin.photos import file_sha256 as photo_sha256
from governance.detectors.metrics import auc
from governance.model_errors import ModelTimeout
from tests.support.service_fixture import make_service


@pytest.fixture(scope="module")
def builtin() -> BuiltinDetector:
    return BuiltinDetector.load()


def held_out_pairs(seed: int, per_photo: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Regions of the held-out photographs, and re-upsampled copies of other regions."""
    rng = np.random.default_rng(seed)
    real, fake = [], []
    methods = ("nearest", "bilinear", "bicubic", "lanczos")
    for name in DETECTOR_HELD_OUT:
        photo = np.asarray(load_photo(name))
        for i in range(per_photo):
            real.append(random_crop(photo, rng, 192))
            region = random_crop(photo, rng, 192)
            fake.append(reupsample(region, methods[i % 4], float(rng.uniform(1.5, 3.0))))
    return real, fake


def test_held_out_real_images_score_lower_than_synthetic_ones(builtin: BuiltinDetector) -> None:
    real, fake = held_out_pairs(seed=11, per_photo=4)
    real_scores = np.array([builtin.score(i) for i in real])
    fake_scores = np.array([builtin.score(i) for i in fake])
    assert real_scores.mean() < 0.5 < fake_scores.mean()
    labels = np.array([0] * len(real) + [1] * len(fake))
    assert auc(np.concatenate([real_scores, fake_scores]), labels) > 0.9
    # After JPEG at quality 75, still apart on average.
    real_jpeg = np.array([builtin.score(jpeg(i, 75)) for i in real])
    fake_jpeg = np.array([builtin.score(jpeg(i, 75)) for i in fake])
    assert real_jpeg.mean() < fake_jpeg.mean()


def test_held_out_photographs_were_never_trained_on() -> None:
    assert not set(DETECTOR_HELD_OUT) & set(DETECTOR_TRAINING)
    assert set(DETECTOR_HELD_OUT) | set(DETECTOR_TRAINING) == set(LICENSED)
    payload = torch.load(detector.weights_path(), map_location="cpu", weights_only=True)
    assert payload["meta"]["trained_on"] == list(DETECTOR_TRAINING)
    assert payload["meta"]["held_out"] == list(DETECTOR_HELD_OUT)
    manifest = detector_training_manifest()
    listed = [item["sha256"] for d in manifest["datasets"] for item in d["items"]]
    assert sorted(listed) == sorted(photo_sha256(n) for n in DETECTOR_TRAINING)
    assert {d["declared_license"] for d in manifest["datasets"]} <= {"CC0-1.0", "CC-PDM-1.0"}


def test_weights_are_committed_and_small() -> None:
    assert detector.weights_path().is_file()
    assert detector.weights_path().stat().st_size < 100_000


@pytest.mark.parametrize(
    ("height", "width"), [(512, 512), (300, 451), (130, 700), (40, 30), (1, 1)]
)
def test_any_size_gives_a_score(builtin: BuiltinDetector, height: int, width: int) -> None:
    image = np.random.default_rng(height).integers(0, 256, (height, width, 3), dtype=np.uint8)
    score = builtin.score(image)
    assert 0.0 <= score <= 1.0
    assert builtin.score(image) == score  # the same image, the same score
    crops = grey_crops(image)
    assert crops.shape[1:] == (1, CROP, CROP) and 1 <= crops.shape[0] <= detector.MAX_CROPS


def test_bad_input_and_deadline(builtin: BuiltinDetector) -> None:
    with pytest.raises(ValueError):
        builtin.score(np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(ModelTimeout):
        builtin.score(np.zeros((10, 10, 3), dtype=np.uint8), deadline=0.0)


def test_the_loader_runs_the_builtin_detector() -> None:
    spec = parse_adapter("builtin:detector", ModelKind.DETECTOR)
    loaded = ModelLoader().load(spec, ModelKind.DETECTOR)
    assert loaded.weights_sha256 == file_sha256(detector.weights_path())
    assert isinstance(loaded.runner, BuiltinDetector)


def test_the_builtin_detector_is_registered_and_cleared(database_url: str, tmp_path: Path) -> None:
    service = make_service(database_url, tmp_path / "data", register_builtin_models=True)
    try:
        response = service.client.get(
            "/v1/models/builtin-detector",
            headers={"Authorization": f"Bearer {service.keys['operator']}"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["kind"] == "detector" and body["adapter"] == "builtin:detector"
        assert body["clearance"]["verdict"] == "cleared"
        assert body["item_count"] == len(DETECTOR_TRAINING) and body["calibration"] is None
    finally:
        service.app.state.services.engine.dispose()
