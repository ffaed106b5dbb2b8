"""The transformers and Python-callable adapters, on tiny local models only."""

import json
import time
from pathlib import Path

import numpy as np
import pytest

from governance.adapters.base import ModelKind
from governance.adapters.hashing import file_sha256, tree_sha256
from governance.adapters.hf import load_transformers_restorer
from governance.adapters.python_callable import load_python_callable
from governance.model_errors import ModelRunError, ModelTimeout
from tests.support import fake_models
from tests.support.tiny_models import save_tiny_bert, save_tiny_swin2sr


def _image_and_mask(height: int = 13, width: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    mask = np.zeros((height, width), dtype=bool)
    mask[3:8, 2:6] = True
    return image, mask


@pytest.fixture
def swin_dir(tmp_path: Path) -> Path:
    return save_tiny_swin2sr(tmp_path / "swin2sr")


def _restore(directory: Path, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    loaded = load_transformers_restorer(directory)
    assert loaded.kind is ModelKind.RESTORATION
    return loaded.runner.restore(image, mask)  # type: ignore[union-attr]


# --- transformers -------------------------------------------------------------------


def test_swin2sr_restores_only_the_masked_pixels(swin_dir: Path) -> None:
    image, mask = _image_and_mask()  # 13 x 10: not a multiple of the window
    out = _restore(swin_dir, image, mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out[~mask], image[~mask])
    assert not np.array_equal(out[mask], image[mask])
    assert np.array_equal(out, _restore(swin_dir, image, mask)), "runs are deterministic"


@pytest.mark.parametrize("size", [(1, 1), (3, 5), (16, 16)])
def test_swin2sr_any_size(swin_dir: Path, size: tuple[int, int]) -> None:
    image, _ = _image_and_mask(*size)
    mask = np.ones(size, dtype=bool)
    assert _restore(swin_dir, image, mask).shape == image.shape


def test_upscaling_model_is_brought_back_to_the_input_size(tmp_path: Path) -> None:
    directory = save_tiny_swin2sr(tmp_path / "x2", upscale=2)
    image, mask = _image_and_mask()
    out = _restore(directory, image, mask)
    assert out.shape == image.shape
    assert np.array_equal(out[~mask], image[~mask])


def test_image_processor_is_used_when_saved(tmp_path: Path) -> None:
    plain = save_tiny_swin2sr(tmp_path / "plain")
    processed = save_tiny_swin2sr(tmp_path / "processed", image_processor=True)
    assert (processed / "preprocessor_config.json").is_file()
    image, mask = _image_and_mask()
    out = _restore(processed, image, mask)
    assert out.shape == image.shape
    assert np.array_equal(out[~mask], image[~mask])
    # The processor pads symmetrically where we replicate edges; the bulk matches.
    agree = np.mean(out[mask] == _restore(plain, image, mask)[mask])
    assert agree > 0.5


def test_deadline_already_passed_times_out(swin_dir: Path) -> None:
    loaded = load_transformers_restorer(swin_dir)
    image, mask = _image_and_mask()
    with pytest.raises(ModelTimeout):
        loaded.runner.restore(image, mask, deadline=time.monotonic() - 1)  # type: ignore[union-attr]


def test_bad_inputs_are_caller_errors(swin_dir: Path) -> None:
    runner = load_transformers_restorer(swin_dir).runner
    image, mask = _image_and_mask()
    with pytest.raises(ValueError, match="image"):
        runner.restore(image.astype(np.float32), mask)  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="mask"):
        runner.restore(image, mask[:-1])  # type: ignore[union-attr]


def test_weights_hash_is_stable_and_tracks_every_file(swin_dir: Path) -> None:
    first = load_transformers_restorer(swin_dir).weights_sha256
    assert first == load_transformers_restorer(swin_dir).weights_sha256 == tree_sha256(swin_dir)

    (swin_dir / ".DS_Store").write_bytes(b"finder")
    (swin_dir / ".cache").mkdir()
    (swin_dir / ".cache" / "lock").write_bytes(b"x")
    assert tree_sha256(swin_dir) == first, "hidden files never reach the model"

    config_path = swin_dir / "config.json"
    config = json.loads(config_path.read_text())
    config["layer_norm_eps"] = 1e-6
    config_path.write_text(json.dumps(config))
    changed = load_transformers_restorer(swin_dir).weights_sha256
    assert changed != first

    with (swin_dir / "model.safetensors").open("ab") as handle:
        handle.write(b"\0")
    assert tree_sha256(swin_dir) != changed


def test_hash_covers_names_as_well_as_bytes(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"same")
    before = tree_sha256(tmp_path)
    (tmp_path / "a").rename(tmp_path / "b")
    assert tree_sha256(tmp_path) != before
    assert file_sha256(tmp_path / "b") == file_sha256(tmp_path / "b")


def test_text_model_is_refused(tmp_path: Path) -> None:
    directory = save_tiny_bert(tmp_path / "bert")
    with pytest.raises(ModelRunError, match="'bert' model, not an image-to-image"):
        load_transformers_restorer(directory)


def test_missing_directory_and_config_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelRunError, match="does not exist"):
        load_transformers_restorer(tmp_path / "nowhere")
    with pytest.raises(ModelRunError, match=r"has no config\.json"):
        load_transformers_restorer(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelRunError, match="cannot be read"):
        load_transformers_restorer(tmp_path)


def test_missing_or_broken_weights_are_refused(swin_dir: Path) -> None:
    weights = swin_dir / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelRunError, match="failed to load"):
        load_transformers_restorer(swin_dir)
    weights.unlink()
    with pytest.raises(ModelRunError, match="failed to load"):
        load_transformers_restorer(swin_dir)


def test_weights_that_do_not_cover_the_config_are_refused(swin_dir: Path) -> None:
    # One more stage in the config than in the weights: transformers would fill it
    # with random values and only warn.
    config_path = swin_dir / "config.json"
    config = json.loads(config_path.read_text())
    config["depths"], config["num_heads"] = [1, 1], [1, 1]
    config_path.write_text(json.dumps(config))
    with pytest.raises(ModelRunError, match="do not match its config"):
        load_transformers_restorer(swin_dir)


# --- Python callables ---------------------------------------------------------------

FAKES = "tests.support.fake_models"
FAKES_SHA = file_sha256(Path(fake_models.__file__))


def _restorer(name: str):  # type: ignore[no-untyped-def]
    loaded = load_python_callable(f"{FAKES}:{name}", ModelKind.RESTORATION)
    assert loaded.kind is ModelKind.RESTORATION and loaded.weights_sha256 == FAKES_SHA
    return loaded.runner


def test_callable_restorer_keeps_its_whole_answer() -> None:
    image, mask = _image_and_mask()
    out = _restorer("blur_restore").restore(image, mask)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(out, fake_models.blur_restore(image, mask))
    # What a model changes outside the mask is not hidden: the screen stage flags it.
    painted = _restorer("scribbling_restore").restore(image, ~mask)
    assert np.array_equal(painted[mask], image[mask]) and (painted[~mask] == 255).all()


def test_callable_cannot_alter_the_original_through_its_arguments() -> None:
    image, mask = _image_and_mask()
    original = image.copy()
    out = _restorer("scribbling_restore").restore(image, mask)
    assert np.array_equal(image, original)
    assert np.array_equal(out[~mask], original[~mask]) and (out[mask] == 255).all()


def test_callable_generator_floats_and_pil() -> None:
    loaded = load_python_callable(f"{FAKES}:gradient_generate", ModelKind.GENERATION)
    assert loaded.kind is ModelKind.GENERATION and loaded.weights_sha256 == FAKES_SHA
    generate = loaded.runner.generate  # type: ignore[union-attr]
    out = generate("a quiet harbour", 3, width=24, height=9)
    assert out.shape == (9, 24, 3) and out.dtype == np.uint8
    assert np.array_equal(out, generate("a quiet harbour", 3, width=24, height=9))
    assert not np.array_equal(out, generate("a quiet harbour", 4, width=24, height=9))

    grey = load_python_callable(f"{FAKES}:grey_generate", ModelKind.GENERATION).runner
    out = grey.generate("fog", 77, width=5, height=4)  # type: ignore[union-attr]
    assert out.shape == (4, 5, 3) and (out == 77).all()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("wrong_size_restore", "the model returned a 12x10 image, expected 13x10"),
        ("returns_none", "the model returned NoneType, not an image"),
        ("raising_restore", "RuntimeError: the varnish layer is unreadable"),
    ],
)
def test_callable_restorer_failures(name: str, message: str) -> None:
    image, mask = _image_and_mask()
    with pytest.raises(ModelRunError, match=message):
        _restorer(name).restore(image, mask)


def test_out_of_range_floats_are_refused() -> None:
    runner = load_python_callable(f"{FAKES}:overbright_generate", ModelKind.GENERATION).runner
    with pytest.raises(ModelRunError, match=r"outside \[0, 1\]"):
        runner.generate("sun", 0, width=4, height=4)  # type: ignore[union-attr]


def test_slow_callable_times_out() -> None:
    image, mask = _image_and_mask()
    with pytest.raises(ModelTimeout):
        _restorer("slow_restore").restore(image, mask, deadline=time.monotonic() + 0.2)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tests.support.fake_models", "not of the form module:function"),
        (":blur_restore", "not of the form module:function"),
        ("tests.support.fake_models:", "not of the form module:function"),
        ("tests.no_such_module:restore", "cannot be found"),
        ("tests.support.fake_models:no_such_function", "has no attribute 'no_such_function'"),
        ("tests.support.fake_models:NOT_CALLABLE", "is a int, not a callable"),
    ],
)
def test_bad_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(ModelRunError, match=message):
        load_python_callable(spec, ModelKind.RESTORATION)


def test_a_detector_scores_and_its_score_is_checked() -> None:
    detector = load_python_callable(f"{FAKES}:brightness_detector", ModelKind.DETECTOR)
    image = np.full((8, 8, 3), 51, dtype=np.uint8)
    assert detector.runner.score(image) == pytest.approx(0.2)  # type: ignore[union-attr]
    wrong = load_python_callable(f"{FAKES}:blur_restore", ModelKind.DETECTOR)
    with pytest.raises(ModelRunError):
        wrong.runner.score(image)  # type: ignore[union-attr]
