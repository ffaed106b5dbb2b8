"""The built-in restoration and generation models, their damage masks and manifests."""

import hashlib
import re
import time

import numpy as np
import pytest

from governance.builtin import diffusion, inpainting
from governance.builtin.damage import damage_mask
from governance.builtin.diffusion import BuiltinGenerator
from governance.builtin.inpainting import BuiltinInpainter
from governance.builtin.photos import (
    GENERATION_TRAINING,
    HELD_OUT,
    RESTORATION_TRAINING,
    load_photo,
    photo_path,
)
from governance.builtin.training_manifests import training_manifest
from governance.model_errors import ModelTimeout
from rights.licenses import normalise_license


@pytest.fixture(scope="module")
def inpainter() -> BuiltinInpainter:
    return BuiltinInpainter.load()


@pytest.fixture(scope="module")
def generator() -> BuiltinGenerator:
    return BuiltinGenerator.load()


def held_out_crop() -> np.ndarray:
    return np.ascontiguousarray(load_photo(HELD_OUT[0])[160:288, 180:340])


def test_weights_are_committed_and_small():
    for path in (inpainting.weights_path(), diffusion.weights_path()):
        assert path.is_file()
        assert path.stat().st_size < 3_000_000


def test_restore_keeps_pixels_outside_the_mask(inpainter):
    image = held_out_crop()
    mask = damage_mask(np.random.default_rng(1), *image.shape[:2])
    damaged = np.where(mask[:, :, None], 0, image).astype(np.uint8)
    restored = inpainter.restore(damaged, mask)
    assert restored.dtype == np.uint8 and restored.shape == image.shape
    assert np.array_equal(restored[~mask], damaged[~mask])


@pytest.mark.parametrize(("height", "width"), [(37, 53), (1, 1), (2, 9)])
def test_restore_any_size(inpainter, height, width):
    rng = np.random.default_rng(height * width)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    mask = damage_mask(rng, height, width)
    restored = inpainter.restore(image, mask)
    assert restored.shape == (height, width, 3) and restored.dtype == np.uint8
    assert np.array_equal(restored[~mask], image[~mask])


def test_restore_without_damage_returns_the_image(inpainter):
    image = held_out_crop()
    restored = inpainter.restore(image, np.zeros(image.shape[:2], dtype=bool))
    assert np.array_equal(restored, image) and restored is not image


def test_restore_fills_the_damage_closer_to_the_truth_than_zeros(inpainter):
    truth = held_out_crop()
    mask = damage_mask(np.random.default_rng(2), *truth.shape[:2])
    damaged = np.where(mask[:, :, None], 0, truth).astype(np.uint8)
    restored = inpainter.restore(damaged, mask).astype(np.float64)
    error = np.abs(restored[mask] - truth[mask]).mean()
    zeros_error = np.abs(truth[mask].astype(np.float64)).mean()
    assert error < 0.25 * zeros_error


def test_restore_refuses_mismatched_mask(inpainter):
    with pytest.raises(ValueError):
        inpainter.restore(held_out_crop(), np.zeros((3, 3), dtype=bool))


def test_generation_is_deterministic_per_seed(generator):
    first = generator.generate("a kitten asleep", seed=7, width=64, height=48)
    again = generator.generate("a kitten asleep", seed=7, width=64, height=48)
    other = generator.generate("a kitten asleep", seed=8, width=64, height=48)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(("width", "height"), [(70, 30), (17, 100), (1, 1)])
def test_generation_honours_the_size(generator, width, height):
    image = generator.generate("rocket launch", seed=1, width=width, height=height)
    assert image.shape == (height, width, 3) and image.dtype == np.uint8


def test_generation_without_known_words_is_unconditional(generator):
    assert generator.classes_for("a quiet afternoon") == []
    image = generator.generate("a quiet afternoon", seed=3, width=32, height=32)
    assert image.shape == (32, 32, 3)


def test_different_classes_give_different_images(generator):
    cat = generator.generate("cat", seed=5, width=32, height=32)
    galaxy = generator.generate("galaxy", seed=5, width=32, height=32)
    assert not np.array_equal(cat, galaxy)


def test_vocabulary_maps_words_to_classes(generator):
    expected = {
        "cat": "chelsea",
        "kitten": "chelsea",
        "chelsea": "chelsea",
        "coffee": "coffee",
        "mug": "coffee",
        "rocket": "rocket",
        "launch": "rocket",
        "astronaut": "astronaut",
        "bricks": "brick",
        "galaxy": "hubble_deep_field",
        "stars": "hubble_deep_field",
        "hubble": "hubble_deep_field",
    }
    for word, name in expected.items():
        assert generator.vocabulary[word] == name
    assert set(generator.vocabulary.values()) <= set(generator.classes)
    assert generator.classes_for("A KITTEN drinking Coffee under the Stars") == [
        "chelsea",
        "coffee",
        "hubble_deep_field",
    ]
    # Whole words only: "cattle" and "rockets" name no class.
    assert generator.classes_for("cattle and rockets") == []
    # Photographs the generator did not learn from are no classes, and their words no prompts.
    assert set(generator.classes) == set(GENERATION_TRAINING)
    assert "moon" not in generator.vocabulary and "coins" not in generator.vocabulary
    assert generator.classes_for("the moon") == []
    assert generator.classes_for("cat, cat; kitten!") == ["chelsea"]


def test_passed_deadline_raises_model_timeout(inpainter, generator):
    image = held_out_crop()
    mask = damage_mask(np.random.default_rng(3), *image.shape[:2])
    past = time.monotonic() - 1.0
    with pytest.raises(ModelTimeout):
        inpainter.restore(image, mask, deadline=past)
    with pytest.raises(ModelTimeout):
        generator.generate("rocket", seed=1, width=32, height=32, deadline=past)


@pytest.mark.parametrize(
    ("kind", "trained"),
    [("restoration", RESTORATION_TRAINING), ("generation", GENERATION_TRAINING)],
)
def test_manifests_list_the_training_files(kind, trained):
    manifest = training_manifest(kind)
    sources = []
    for dataset in manifest["datasets"]:
        assert normalise_license(dataset["declared_license"]) == dataset["declared_license"]
        assert normalise_license(dataset["concluded_license"]) == dataset["concluded_license"]
        assert dataset["legal_basis"] == "license"
        # Only photographs with a stated licence or public-domain dedication are trained on.
        assert dataset["declared_license"] in {"CC0-1.0", "CC-PDM-1.0"}
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", dataset["acquired_at"])
        for item in dataset["items"]:
            name = item["source"].removeprefix("skimage.data.")
            assert name in trained
            assert item["sha256"] == hashlib.sha256(photo_path(name).read_bytes()).hexdigest()
            assert re.fullmatch(r"[0-9a-f]{16}", item["phash"])
            sources.append(name)
    assert sorted(sources) == sorted(trained)


def test_restoration_never_trained_on_the_held_out_photographs():
    assert HELD_OUT and not set(HELD_OUT) & set(RESTORATION_TRAINING)
    assert set(HELD_OUT) <= set(GENERATION_TRAINING)


def test_unknown_manifest_kind_is_refused():
    with pytest.raises(ValueError):
        training_manifest("detector")


@pytest.mark.parametrize(("height", "width"), [(256, 256), (300, 451), (96, 96), (37, 53)])
def test_damage_masks_cover_a_few_percent(height, width):
    for seed in range(10):
        mask = damage_mask(np.random.default_rng(seed), height, width)
        assert mask.shape == (height, width) and mask.dtype == bool
        assert mask.any()
        assert 0.01 <= mask.mean() <= 0.15


def test_damage_masks_are_seeded():
    a = damage_mask(np.random.default_rng(11), 128, 128)
    b = damage_mask(np.random.default_rng(11), 128, 128)
    c = damage_mask(np.random.default_rng(12), 128, 128)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
