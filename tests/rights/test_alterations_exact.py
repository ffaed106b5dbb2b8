"""The faster parts of altered-copy detection give the answers of the plain versions they
replaced: each is checked against that plain version, written out here, on seeded data."""

import cv2
import numpy as np
import pytest

from rights.alterations import _overlap_fraction
from rights.alterations_compare import _disk, _eroded_box, inner
from rights.alterations_fill import _longest_leg
from rights.alterations_refine import _pearson
from rights.alterations_tone import (
    LEVELS,
    ToneMap,
    _least_squares,
    level_medians,
    monotone_lut,
    quantile,
)


def _joint_medians(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lower median per level from a 256x256 joint histogram and its running sums."""
    joint = np.bincount(src * LEVELS + dst, minlength=LEVELS * LEVELS).reshape(LEVELS, LEVELS)
    counts = joint.sum(axis=1)
    seen = np.flatnonzero(counts)
    cumulative = np.cumsum(joint[seen], axis=1)
    return seen, np.argmax(cumulative * 2 >= counts[seen, None], axis=1).astype(np.float64)


@pytest.mark.parametrize("seed", range(6))
def test_level_medians_match_the_joint_histogram(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30_000))
    src = np.clip(rng.normal(120, 50, n), 0, 255).astype(np.int64)
    dst = np.clip(src * rng.uniform(0.5, 1.5) + rng.normal(0, 12, n), 0, 255).astype(np.int64)
    seen, counts, medians = level_medians(src, dst)
    expected_seen, expected = _joint_medians(src, dst)
    assert np.array_equal(seen, expected_seen)
    assert np.array_equal(counts, np.bincount(src, minlength=LEVELS)[seen])
    assert np.array_equal(medians, expected)


def test_a_table_is_monotone_and_ends_on_its_slopes() -> None:
    rng = np.random.default_rng(7)
    source = rng.uniform(40, 200, 20_000)
    target = 0.8 * source + 10 + rng.normal(0, 3, source.size)
    table = monotone_lut(source, target)
    assert (np.diff(table) >= 0).all()
    assert table[0] == pytest.approx(10, abs=3)  # continued below the seen levels
    assert monotone_lut(np.array([]), np.array([])) == pytest.approx(np.arange(256))


@pytest.mark.parametrize("q", [0.0, 0.2, 0.5, 0.8, 1.0])
def test_quantile_matches_numpy(q: float) -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 10_000):
        values = rng.exponential(5, n)
        assert quantile(values, q) == pytest.approx(float(np.quantile(values, q)), abs=1e-12)


@pytest.mark.parametrize("grey", [False, True])
def test_least_squares_matches_lstsq(grey: bool) -> None:
    rng = np.random.default_rng(11)
    colours = rng.uniform(0, 255, (3, 5_000))
    if grey:  # colinear channels: a singular system, answered with the minimum norm
        colours[1] = colours[0]
        colours[2] = colours[0]
    target = np.array([0.3, 0.5, 0.2]) @ colours + 12 + rng.normal(0, 2, colours.shape[1])
    design = np.vstack([colours, np.ones(colours.shape[1])]).T
    expected = np.linalg.lstsq(design, target, rcond=None)[0]
    fitted = _least_squares(colours, target)
    assert np.allclose(design @ fitted, design @ expected, atol=1e-8)
    if not grey:
        assert np.allclose(fitted, expected, atol=1e-9)


def test_a_tone_map_on_whole_levels_is_its_interpolation() -> None:
    rng = np.random.default_rng(5)
    levels = rng.integers(0, 256, (40, 30, 3)).astype(np.uint8)
    luts = [monotone_lut(rng.uniform(0, 255, 5_000), rng.uniform(0, 255, 5_000)) for _ in range(3)]
    for mix in (None, np.vstack([np.eye(3) * 0.9, [5.0, -3.0, 1.0]])):
        tone = ToneMap(luts, mix)
        assert np.allclose(tone(levels), tone(levels.astype(np.float32)), atol=1e-4)
        samples = levels.reshape(-1, 3).T.astype(np.float64)
        assert np.allclose(tone.samples(samples).T, tone(levels).reshape(-1, 3), atol=1e-3)


def _rectangle(shape: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.zeros(shape, bool)
    top, bottom, left, right = box
    mask[top:bottom, left:right] = True
    return mask


@pytest.mark.parametrize(
    "box", [(0, 60, 0, 80), (5, 60, 0, 80), (0, 41, 9, 70), (12, 50, 20, 64), (20, 24, 3, 80)]
)
@pytest.mark.parametrize("radius", [0, 1, 3, 8])
def test_an_upright_rectangle_erodes_as_opencv_does(
    box: tuple[int, int, int, int], radius: int
) -> None:
    mask = _rectangle((60, 80), box)
    expected = cv2.erode(mask.astype(np.uint8), _disk(radius), borderType=cv2.BORDER_REPLICATE)
    eroded = _eroded_box(mask, radius)
    assert eroded is not None
    assert np.array_equal(eroded, expected)


def test_any_other_footprint_is_eroded_by_opencv() -> None:
    mask = _rectangle((60, 80), (5, 50, 5, 70))
    mask[20:25, 30:35] = False  # a hole
    assert _eroded_box(mask, 3) is None
    assert _eroded_box(np.zeros((10, 10), bool), 3) is None
    turned = cv2.warpAffine(
        np.ones((60, 80), np.uint8), cv2.getRotationMatrix2D((40, 30), 7, 1.0), (80, 60)
    )
    expected = cv2.erode(turned, _disk(4), borderType=cv2.BORDER_REPLICATE) > 0
    assert np.array_equal(inner(turned > 0, 4), expected)


def _overlap_per_pixel(footprint: np.ndarray, m: np.ndarray, query: np.ndarray) -> float:
    ys, xs = np.nonzero(footprint)
    denominator = m[2, 0] * xs + m[2, 1] * ys + m[2, 2]
    area = abs(np.linalg.det(m)) / np.abs(denominator) ** 3
    return round(min(1.0, float(area.sum()) / float(query.shape[0] * query.shape[1])), 4)


@pytest.mark.parametrize(
    "matrix",
    [
        [[0.9, 0.1, 5.0], [-0.1, 0.9, 3.0], [0.0, 0.0, 1.0]],
        [[1.1, 0.05, -4.0], [0.02, 0.95, 2.0], [2e-4, -1e-4, 1.0]],
        [[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 2.0]],
    ],
)
def test_the_overlap_fraction_sums_each_pixels_area(matrix: list[list[float]]) -> None:
    rng = np.random.default_rng(2)
    footprint = rng.random((90, 120)) < 0.7
    query = np.zeros((100, 110, 3), np.uint8)
    m = np.asarray(matrix)
    assert _overlap_fraction(footprint, m, query) == pytest.approx(
        _overlap_per_pixel(footprint, m, query), abs=1e-4
    )


def _longest_leg_by_weights(reach: np.ndarray, same: np.ndarray, longest: float) -> int:
    rows = int(np.ceil(min(longest, float(reach.max())))) + 1
    if rows <= 3:
        return -1
    index = np.ceil(np.minimum(reach, rows)).astype(np.int64).ravel()
    total = np.bincount(index, minlength=rows + 1)[:rows]
    filled = np.bincount(index, weights=same.ravel(), minlength=rows + 1)[:rows]
    window = np.ones(7)
    total_near = np.convolve(total, window, mode="same")
    filled_near = np.convolve(filled, window, mode="same")
    failed = np.flatnonzero(filled_near < 0.85 * total_near)
    return int(failed[0]) - 1 if failed.size else rows - 1


@pytest.mark.parametrize("degrees", [0.7, 4.0, 11.0, 30.0])
def test_a_wedges_leg_counts_its_slanted_rows(degrees: float) -> None:
    rng = np.random.default_rng(int(degrees * 10))
    k = float(np.tan(np.radians(degrees)))
    h, w = 120, 160
    depth = min(h, int(np.ceil(w * k)) + 2)
    reach = np.arange(w, dtype=np.float64)[None, :] + (np.arange(depth) / k)[:, None]
    for leg in (10, 40, 90):
        same = (reach <= leg) | (rng.random(reach.shape) < 0.1)
        same &= rng.random(reach.shape) > 0.03  # JPEG ringing inside the fill
        longest = min(w, h / k)
        assert _longest_leg(reach, same, longest) == _longest_leg_by_weights(reach, same, longest)


def test_pearson_matches_numpy() -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(100, 30, 4_000).astype(np.float32)
    b = (0.7 * a + rng.normal(0, 10, a.size)).astype(np.float32)
    assert _pearson(a, b) == pytest.approx(float(np.corrcoef(a, b)[0, 1]), abs=1e-9)
