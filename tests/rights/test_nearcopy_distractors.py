"""What near-copy search must not match: other pictures, repeated textures, and the
pitfalls found while designing it (one-to-many matches, keypoints taken by one patch,
dim scans with no keypoints)."""

from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image, ImageOps

from rights.nearcopy.features import QUERY_KEYPOINTS, Variant, extract, spread
from rights.nearcopy.record import WorkRecord
from rights.nearcopy.search import NearCopyIndex, describe_work
from rights.nearcopy.verify import MIN_INLIERS, one_to_one, plausible, verify
from tests.support.helpers import photo


def left(name: str) -> Image.Image:
    image = photo(name).convert("RGB")
    return image.crop((0, 0, image.width * 55 // 100, image.height))


def right(name: str) -> Image.Image:
    image = photo(name).convert("RGB")
    return image.crop((image.width * 60 // 100, 0, image.width, image.height))


@pytest.fixture(scope="module")
def registry() -> tuple[NearCopyIndex, dict[int, WorkRecord]]:
    records = {
        1: describe_work(photo("astronaut")),
        2: describe_work(left("brick")),
        3: describe_work(left("gravel")),
        4: describe_work(left("coins")),
    }
    index = NearCopyIndex()
    index.add_many(records.items())
    return index, records


def found(registry, image: Image.Image, min_inliers: int = MIN_INLIERS) -> list[int]:
    index, records = registry

    def load(ids: Sequence[int]) -> dict[int, WorkRecord]:
        return {i: records[i] for i in ids if i in records}

    return [m.work_id for m in index.search(image, load, min_inliers=min_inliers)]


@pytest.mark.parametrize("name", ["chelsea", "rocket", "camera", "moon", "page", "text", "grass"])
def test_unregistered_photographs_match_nothing(registry, name):
    assert found(registry, photo(name)) == []


@pytest.mark.parametrize("name", ["brick", "gravel", "coins"])
def test_unregistered_pixels_of_the_same_texture_match_nothing(registry, name):
    # The right part of the same wall, gravel bed or tray of coins: same texture, same
    # light, not one registered pixel. Repeated structure is where RANSAC is fooled.
    other = right(name)
    assert found(registry, other) == []
    assert found(registry, ImageOps.mirror(other)) == []
    assert found(registry, other.rotate(90, expand=True)) == []


def test_the_registered_part_of_a_texture_is_still_found(registry):
    assert found(registry, left("brick").rotate(7, Image.Resampling.BICUBIC, expand=True)) == [2]


def test_repeated_tiles_are_not_matched_to_a_texture():
    rng = np.random.default_rng(5)
    tile = (rng.random((32, 32)) * 255).astype(np.uint8)
    other = (rng.random((32, 32)) * 255).astype(np.uint8)
    work = extract(np.tile(tile, (12, 12)))
    query = extract(np.tile(other, (10, 14)), QUERY_KEYPOINTS)
    assert verify(query, Variant.PLAIN, work) is None


def test_each_work_keypoint_is_matched_at_most_once():
    rng = np.random.default_rng(1)
    work = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    # Ten query points all close to the same work point: only the closest one keeps it.
    query = np.repeat(work[7:8], 10, axis=0)
    query[1:, 0] ^= np.arange(1, 10, dtype=np.uint8)
    query_index, work_index = one_to_one(query, work)
    assert list(work_index) == [7]
    assert list(query_index) == [0]


def test_implausible_maps_are_refused():
    size = (512.0, 384.0)
    assert plausible(np.eye(3), *size)
    assert plausible(np.array([[0.0, -1.0, 400.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), *size)
    assert not plausible(np.diag([-1.0, 1.0, 1.0]), *size)  # a reflection
    assert not plausible(np.diag([0.1, 0.1, 1.0]), *size)  # too small
    assert not plausible(np.diag([6.0, 6.0, 1.0]), *size)  # too large
    assert not plausible(np.diag([3.0, 1.0, 1.0]), *size)  # stretched
    assert not plausible(
        np.array([[1.0, 0, 0], [0, 1.0, 0], [0.003, 0, 1.0]]), *size
    )  # perspective
    assert not plausible(np.full((3, 3), np.nan), *size)


def faint_with_patch(patch: bool) -> np.ndarray:
    faint = np.asarray(photo("moon"), dtype=np.float64)
    picture = (100 + (faint - faint.mean()) * 0.2).clip(0, 255).astype(np.uint8)
    if patch:  # a loud pasted patch in one corner: binary noise, 6% of the area
        rng = np.random.default_rng(2)
        picture[:128, :128] = rng.integers(0, 2, (128, 128)) * 255
    return picture


def test_a_pasted_high_contrast_patch_does_not_take_the_keypoint_budget():
    features = extract(faint_with_patch(True), 200)
    in_patch = (features.points[:, 0] < 128) & (features.points[:, 1] < 128)
    # Strongest-first over the whole picture, the patch takes all 200.
    assert in_patch.sum() <= 100
    assert len(features) == 200


def test_a_faint_work_is_found_under_a_pasted_patch():
    record = describe_work(faint_with_patch(False))
    index = NearCopyIndex()
    index.add(1, record)
    found = index.search(faint_with_patch(True), lambda ids: {1: record})
    assert [m.work_id for m in found] == [1]


def test_spread_caps_each_cell_then_fills_from_the_strongest():
    points = np.array([[10.0, 10.0]] * 50 + [[300.0, 300.0]] * 3, dtype=np.float32)
    responses = np.concatenate([np.linspace(10, 5, 50), [1.0, 0.9, 0.8]]).astype(np.float32)
    chosen = spread(points, responses, (400, 400), 32)  # 2 a cell, then the strongest rest
    assert len(chosen) == 32
    assert {50, 51} <= set(chosen.tolist())  # the weak cell keeps its share
    assert 52 not in chosen
    assert set(range(30)) <= set(chosen.tolist())
    assert list(responses[chosen]) == sorted(responses[chosen], reverse=True)


@pytest.mark.parametrize("gain", [0.25, 0.1])
def test_dim_and_faded_scans_still_get_keypoints(gain):
    grey = np.asarray(photo("camera"), dtype=np.float64)
    dim = (20 + grey * gain).astype(np.uint8)
    assert len(extract(dim, 500)) >= 400
