"""The transformers detector adapter, on tiny image classifiers saved to a local folder."""

from pathlib import Path

import numpy as np
import pytest

from governance.adapters.base import ModelKind
from governance.adapters.hf_detector import load_transformers_detector, synthetic_label
from governance.adapters.loader import InvalidAdapterError, ModelLoader, parse_adapter
from governance.model_errors import ModelRunError, ModelTimeout
from tests.adapters.tiny_classifiers import save_tiny_convnext, save_tiny_vit, softmax_by_hand
from tests.support.tiny_models import save_tiny_swin2sr


def _image(seed: int = 0, height: int = 40, width: int = 50) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize("save", [save_tiny_vit, save_tiny_convnext])
def test_the_score_is_the_softmax_of_the_synthetic_class(save, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    directory = save(tmp_path / "detector")
    loaded = load_transformers_detector(directory)
    assert loaded.kind is ModelKind.DETECTOR and len(loaded.weights_sha256) == 64
    runner = loaded.runner
    assert runner.synthetic_index == 1  # type: ignore[union-attr]
    image = _image()
    score = runner.score(image)  # type: ignore[union-attr]
    # By hand: the saved processor and model, outside the adapter.
    assert score == pytest.approx(softmax_by_hand(directory, image, 1), abs=1e-6)
    assert 0.0 < score < 1.0
    assert runner.score(image) == score  # type: ignore[union-attr]  # deterministic


def test_the_synthetic_class_is_found_wherever_it_is(tmp_path: Path) -> None:
    labels = {0: "Synthetic", 1: "Photograph", 2: "Drawing"}
    loaded = load_transformers_detector(save_tiny_vit(tmp_path / "d", labels))
    assert loaded.runner.synthetic_index == 0  # type: ignore[union-attr]
    assert 0.0 < loaded.runner.score(_image()) < 1.0  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("labels", "index"),
    [
        ({0: "real", 1: "fake"}, 1),
        ({0: "FAKE", 1: "REAL"}, 0),
        ({"0": "human", "1": "AI-generated"}, 1),
        ({0: "natural", 1: "artificial"}, 1),
        ({0: "Realistic photo", 1: "synthetic_image"}, 1),
        ({0: "camera", 1: "Generated"}, 1),
        ({0: "authentic", 1: "deepfake"}, 1),
        ({0: "AI", 1: "human"}, 0),
    ],
)
def test_synthetic_label_lookup(labels: dict[int, str], index: int) -> None:
    assert synthetic_label(labels) == index


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({0: "LABEL_0", 1: "LABEL_1"}, "no class label names synthetic images"),
        ({0: "cat", 1: "dog", 2: "chair"}, "no class label names synthetic images"),
        ({0: "fake", 1: "AI-generated"}, "several class labels name synthetic images"),
        ({0: "real", 1: "synthetic", 2: "artificial"}, "several class labels"),
    ],
)
def test_no_or_several_synthetic_labels_are_refused(labels: dict[int, str], message: str) -> None:
    with pytest.raises(ModelRunError, match=message):
        synthetic_label(labels)


def test_a_classifier_without_a_synthetic_class_is_refused_at_load(tmp_path: Path) -> None:
    directory = save_tiny_vit(tmp_path / "d", {0: "cat", 1: "dog"})
    with pytest.raises(ModelRunError, match=r"'cat'.*'dog'"):
        load_transformers_detector(directory)


def test_a_directory_without_weights_fails_loudly(tmp_path: Path) -> None:
    directory = save_tiny_vit(tmp_path / "d")
    (directory / "model.safetensors").unlink()
    with pytest.raises(ModelRunError, match="failed to load"):
        load_transformers_detector(directory)


def test_missing_config_processor_or_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelRunError, match="does not exist"):
        load_transformers_detector(tmp_path / "nowhere")
    directory = save_tiny_vit(tmp_path / "d")
    (directory / "preprocessor_config.json").unlink()
    with pytest.raises(ModelRunError, match=r"preprocessor_config\.json"):
        load_transformers_detector(directory)
    (directory / "config.json").unlink()
    with pytest.raises(ModelRunError, match=r"no config\.json"):
        load_transformers_detector(directory)


def test_weights_that_do_not_cover_the_config_are_refused(tmp_path: Path) -> None:
    directory = save_tiny_vit(tmp_path / "d")
    other = save_tiny_vit(tmp_path / "three", {0: "real", 1: "fake", 2: "drawing"})
    (directory / "model.safetensors").write_bytes((other / "model.safetensors").read_bytes())
    with pytest.raises(ModelRunError, match=r"do not match its config|failed to load"):
        load_transformers_detector(directory)


def test_an_image_to_image_model_is_not_a_detector(tmp_path: Path) -> None:
    with pytest.raises(ModelRunError, match="not an image classification"):
        load_transformers_detector(save_tiny_swin2sr(tmp_path / "swin"))


def test_deadline_and_bad_inputs(tmp_path: Path) -> None:
    runner = load_transformers_detector(save_tiny_vit(tmp_path / "d")).runner
    with pytest.raises(ModelTimeout):
        runner.score(_image(), deadline=0.0)  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        runner.score(np.zeros((4, 4), dtype=np.uint8))  # type: ignore[union-attr]


def test_the_loader_names_transformers_detectors(tmp_path: Path) -> None:
    directory = save_tiny_vit(tmp_path / "d")
    spec = parse_adapter(f"transformers:{directory}", ModelKind.DETECTOR)
    loaded = ModelLoader().load(spec, ModelKind.DETECTOR)
    assert loaded.kind is ModelKind.DETECTOR
    assert 0.0 < loaded.runner.score(_image()) < 1.0  # type: ignore[union-attr]
    with pytest.raises(InvalidAdapterError, match="restoration and image-classification"):
        parse_adapter(f"transformers:{directory}", ModelKind.GENERATION)
    with pytest.raises(InvalidAdapterError, match="absolute"):
        parse_adapter("transformers:relative/dir", ModelKind.DETECTOR)
    assert parse_adapter("builtin:detector", ModelKind.DETECTOR).target == "detector"
    with pytest.raises(InvalidAdapterError, match="is a detector model"):
        parse_adapter("builtin:detector", ModelKind.RESTORATION)
