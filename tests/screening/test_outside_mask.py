"""The outside-the-mask comparison on hand-made arrays: what counts, where, and the map."""

import io

import numpy as np
import pytest
from PIL import Image

from governance.screening.outside_mask import (
    DILATION_PX,
    MAX_REGIONS,
    TOLERANCE_GREY_LEVELS,
    changed_outside_mask,
    grown,
    map_png,
)


def _image(seed: int = 0, size: int = 64) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)


def _mask(size: int = 64) -> np.ndarray:
    mask = np.zeros((size, size), dtype=bool)
    mask[20:30, 20:30] = True
    return mask


def test_a_change_inside_the_grown_mask_is_allowed() -> None:
    before, mask = _image(), _mask()
    after = before.copy()
    after[mask] = 0  # the fill itself
    ring = grown(mask, DILATION_PX) & ~mask
    after[ring] += 128  # a seam blended into the margin
    found = changed_outside_mask(before, after, mask)
    assert found.changed_pixels == 0 and found.regions == [] and not found.changed.any()
    assert found.checked_pixels == 64 * 64 - int(grown(mask).sum())


def test_a_pixel_changed_far_from_the_mask_is_found_with_its_box() -> None:
    before, mask = _image(), _mask()
    after = before.copy()
    after[50:53, 5:9] += 128  # wraps: every channel moves by 128 levels
    found = changed_outside_mask(before, after, mask)
    assert found.changed_pixels == 12
    assert found.fraction == pytest.approx(12 / found.checked_pixels)
    (region,) = found.regions
    assert (region.x, region.y, region.width, region.height, region.pixels) == (5, 50, 4, 3, 12)


def test_rounding_within_the_tolerance_is_not_a_change() -> None:
    before, mask = _image(), _mask()
    nudged = before.astype(int) + TOLERANCE_GREY_LEVELS
    after = np.where(before > 250, before, nudged).astype(np.uint8)
    assert changed_outside_mask(before, after, mask).changed_pixels == 0
    beyond = np.where(before > 250, before, before.astype(int) + TOLERANCE_GREY_LEVELS + 1)
    assert changed_outside_mask(before, beyond.astype(np.uint8), mask).changed_pixels > 0


def test_regions_are_listed_largest_first_and_capped_but_all_are_counted() -> None:
    before = np.zeros((200, 200, 3), dtype=np.uint8)
    after = before.copy()
    for i in range(MAX_REGIONS + 5):  # separate dots, one bigger than the rest
        y, x = 10 + (i // 10) * 20, 10 + (i % 10) * 18
        after[y : y + 2, x : x + 2] = 255
    after[150:160, 150:160] = 255
    mask = np.zeros((200, 200), dtype=bool)
    mask[190:, 190:] = True
    found = changed_outside_mask(before, after, mask)
    assert found.regions_total == MAX_REGIONS + 6
    assert len(found.regions) == MAX_REGIONS
    assert found.regions[0].pixels == 100 and found.regions[0].x == 150


def test_the_map_is_a_one_bit_png_any_reader_opens() -> None:
    changed = np.zeros((40, 60), dtype=bool)
    changed[5:8, 10:20] = True
    opened = Image.open(io.BytesIO(map_png(changed)))
    assert opened.format == "PNG" and opened.mode == "1" and opened.size == (60, 40)
    assert np.array_equal(np.asarray(opened, dtype=bool), changed)


def test_shapes_that_differ_are_refused() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        changed_outside_mask(_image(size=64), _image(size=32), _mask())
