"""The parts of altered-copy detection: tone tables, a turn's fill, registration refinement."""

import cv2
import numpy as np
import pytest

from bench import bench_alterations_cases as cases
from bench.bench_alterations_edits import caption
from rights.alterations_fill import rotation_fill, turn_degrees
from rights.alterations_refine import refine
from rights.alterations_tone import fit_tone, monotone_lut


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    return cases.load("coffee", 320)


def _stretched(levels: np.ndarray) -> np.ndarray:
    """Contrast 1.6 around mid-grey: both ends clip."""
    return np.clip((levels - 128.0) * 1.6 + 128.0, 0, 255)


def test_a_table_follows_clipped_highlights_where_a_line_cannot() -> None:
    rng = np.random.default_rng(0)
    source = rng.integers(0, 256, 50_000).astype(np.float64)
    target = _stretched(source) + rng.normal(0, 2, source.size)
    table = monotone_lut(source, target)
    truth = _stretched(np.arange(256.0))
    assert np.abs(table - truth).max() < 3
    slope, offset = np.polyfit(source, target, 1)
    assert np.abs(slope * np.arange(256.0) + offset - truth).max() > 20
    assert (np.diff(table) >= 0).all()


def test_a_table_ignores_an_edit_holding_a_minority_of_a_level() -> None:
    rng = np.random.default_rng(1)
    source = rng.integers(0, 256, 50_000).astype(np.float64)
    target = source.copy()
    dark = np.flatnonzero(source < 40)
    target[dark[: len(dark) // 3]] = 250  # a third of the dark pixels painted white
    assert np.abs(monotone_lut(source, target) - np.arange(256)).max() < 2


def test_a_grey_copy_is_matched_by_a_colour_mix(coffee: np.ndarray) -> None:
    copy, _ = cases.grey(coffee)
    overlap = np.ones(coffee.shape[:2], bool)
    tone = fit_tone(coffee.astype(np.float32), copy.astype(np.float32), overlap, seed=0)
    assert tone.mix is not None
    error = np.abs(tone(coffee.astype(np.float32)) - copy).max(axis=2)
    assert np.percentile(error, 99) < 4


def test_a_turns_fill_inside_the_work_is_found(coffee: np.ndarray) -> None:
    steps = [cases.crop(0.15, 0.1, 0.1, 0.15), cases.rotate(9), cases.jpeg(75)]
    copy = cases.apply(coffee, steps)
    # the fill is what the turned crop does not cover; most of it lies over the work
    cropped = cases.apply(coffee, steps[:1]).image
    turned = cases.apply(cropped, steps[1:2])
    h, w = copy.image.shape[:2]
    shown = cv2.warpPerspective(
        np.ones(cropped.shape[:2], np.float32), turned.work_to_query, (w, h)
    )
    truth = shown < 0.5
    turn = turn_degrees(copy.work_to_query, ((coffee.shape[1] - 1) / 2, (coffee.shape[0] - 1) / 2))
    assert abs(turn - 9) < 0.5 or abs(turn + 9) < 0.5
    fill = rotation_fill(copy.image, turn)
    assert (fill & truth).sum() >= 0.9 * truth.sum()
    assert (fill & ~truth).sum() <= 0.05 * (~truth).sum()


def test_a_flat_band_on_a_turned_copy_is_not_taken_for_fill(coffee: np.ndarray) -> None:
    copy = cases.apply(coffee, [cases.rotate(4, expand=False), cases.crop(0.1, 0.1, 0.1, 0.1)])
    marked = copy.image.copy()
    marked[-18:] = (20, 20, 120)  # a plain bar along the bottom: its depth never thins out
    turn = turn_degrees(copy.work_to_query, ((coffee.shape[1] - 1) / 2, (coffee.shape[0] - 1) / 2))
    fill = rotation_fill(marked, turn)
    assert fill[-18:].sum() <= 0.1 * fill[-18:].size


def test_no_turn_no_fill(coffee: np.ndarray) -> None:
    padded, _ = cases.pad(0.1, (0, 0, 0))(coffee)
    assert not rotation_fill(padded, 0.0).any()


@pytest.mark.parametrize(("dx", "dy"), [(2.0, -1.5), (-3.0, 0.5), (0.0, 0.0)])
def test_refinement_recovers_a_small_shift(coffee: np.ndarray, dx: float, dy: float) -> None:
    work = coffee.astype(np.float32)
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    query = cv2.warpAffine(work, shift, work.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
    footprint = np.ones(work.shape[:2], bool)
    correction = refine(work, query, footprint)
    assert correction is not None
    # query(x) ~ work(correction(x)), and query(x) = work(x - shift)
    centre = np.array([[[160.0, 106.0]]])
    moved = cv2.perspectiveTransform(centre, correction)[0, 0]
    assert moved == pytest.approx([160 - dx, 106 - dy], abs=0.3)


def test_refinement_is_not_dragged_by_a_caption_bar(coffee: np.ndarray) -> None:
    work = coffee.astype(np.float32)
    marked, _ = caption(np.random.default_rng(1), coffee)
    correction = refine(work, marked.astype(np.float32), np.ones(work.shape[:2], bool))
    assert correction is not None
    corners = np.array([[[0.0, 0.0], [319.0, 0.0], [319.0, 212.0], [0.0, 212.0]]])
    assert np.abs(cv2.perspectiveTransform(corners, correction) - corners).max() < 0.5
