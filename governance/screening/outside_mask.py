"""Did a restoration touch pixels it was not asked to? Its output against its input,
outside the mask grown by a few pixels.

The built-in restorer (and the `transformers:` adapter, which resizes the model's answer
back) pastes the answer into the masked pixels only, so outside the mask its output is
the input exactly; a `python:` restorer's whole answer is kept, so what it changed out
there is seen here. Measured on
four photographs at 256 px (bench/bench_screen.py), 0 pixels changed outside the mask,
where the network's own raw output differs from the input everywhere (95th percentile
3-17 grey levels at any distance from the mask: no halo to allow for). The margin below
is then not for the built-in: it forgives a model that resamples the mask (a mask taken
to a grid of stride 4 and back moves its edges by up to 2 pixels) and no more; the
tolerance forgives the rounding of a round trip through floats or a colour space (at
most 2 grey levels), not an edit.
"""

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

DILATION_PX = 3
TOLERANCE_GREY_LEVELS = 2
MAX_REGIONS = 20  # the largest regions are listed; all are in the map


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    width: int
    height: int
    pixels: int


@dataclass(frozen=True)
class OutsideMask:
    checked_pixels: int  # outside the grown mask
    changed_pixels: int
    regions: list[Region]  # largest first, at most MAX_REGIONS
    regions_total: int
    changed: np.ndarray  # bool, True where a pixel outside the grown mask changed

    @property
    def fraction(self) -> float:
        return self.changed_pixels / self.checked_pixels if self.checked_pixels else 0.0


def grown(mask: np.ndarray, radius: int = DILATION_PX) -> np.ndarray:
    """`mask` dilated by a disc of `radius` pixels."""
    if radius <= 0:
        return mask.copy()
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    dilated: np.ndarray = cv2.dilate(mask.astype(np.uint8), disc).astype(bool)
    return dilated


def changed_outside_mask(
    before: np.ndarray,
    after: np.ndarray,
    mask: np.ndarray,
    radius: int = DILATION_PX,
    tolerance: int = TOLERANCE_GREY_LEVELS,
) -> OutsideMask:
    """Pixels of `after` (uint8 RGB) that differ from `before` by more than `tolerance`
    grey levels in any channel, outside `mask` grown by `radius`."""
    if before.shape != after.shape or before.shape[:2] != mask.shape:
        raise ValueError(f"shapes differ: {before.shape}, {after.shape}, mask {mask.shape}")
    outside = ~grown(mask.astype(bool), radius)
    difference = np.abs(after.astype(np.int16) - before.astype(np.int16)).max(axis=2)
    changed = (difference > tolerance) & outside
    count = int(changed.sum())
    regions: list[Region] = []
    total = 0
    if count:
        total, _, stats, _ = cv2.connectedComponentsWithStats(
            changed.astype(np.uint8), connectivity=8
        )
        total -= 1  # component 0 is the background
        order = np.argsort(-stats[1:, cv2.CC_STAT_AREA], kind="stable")[:MAX_REGIONS] + 1
        regions = [
            Region(
                x=int(stats[i, cv2.CC_STAT_LEFT]),
                y=int(stats[i, cv2.CC_STAT_TOP]),
                width=int(stats[i, cv2.CC_STAT_WIDTH]),
                height=int(stats[i, cv2.CC_STAT_HEIGHT]),
                pixels=int(stats[i, cv2.CC_STAT_AREA]),
            )
            for i in order
        ]
    return OutsideMask(int(outside.sum()), count, regions, total, changed)


def map_png(changed: np.ndarray) -> bytes:
    """The map as a 1-bit PNG, white where a pixel changed: any image viewer reads it."""
    buffer = io.BytesIO()
    Image.fromarray(changed.astype(bool)).convert("1").save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
