"""Altered copies: where a copy of a registered work differs from the work.

The near-copy matcher says which work a query copies and gives the homography taking
query pixels to work pixels; this module warps the query into the work's frame and
reports the regions that differ beyond what re-encoding, resampling, tone changes and
a slightly-off homography explain. Only the overlap counts: padding, borders and the
parts of a crop's canvas outside the work are never regions. Anything pasted over the
work inside the overlap (a caption bar, a logo, a frame drawn over it) is a region.

Pure computation on arrays; no storage, no service. Boxes are in the query's pixels.
"""

from dataclasses import dataclass, field

import numpy as np

from rights.alterations_align import align, linear_scale
from rights.alterations_compare import compare
from rights.alterations_regions import find_blobs
from rights.errors import RightsError

ALGORITHM = "align-tone-range-diff"
VERSION = 1


class AlterationInputError(RightsError):
    """Images or homography that cannot be compared: the sentence says why."""


@dataclass(frozen=True)
class AlterationParams:
    """Everything that decides the answer; recorded with it so it can be reproduced."""

    algorithm: str = ALGORITHM
    version: int = VERSION
    analysis_side: int = 512  # the analysis frame's longer side, at most (pixels)
    blur_sigma: float = 1.5  # analysis pixels, before comparing
    tolerance_px: int = 2  # misregistration forgiven after refinement, analysis pixels
    texture_weight: float = 6.0  # grey levels of score per grey level of detail lost
    texture_share: float = 0.5  # of the expected detail that must be lost to count
    threshold: float = 24.0  # grey levels a region's peak must differ by
    grow_threshold: float = 12.0  # grey levels a region grows over
    join_fraction: float = 0.025  # closing radius, of the analysis frame's longer side
    min_area_fraction: float = 0.002  # of the overlap: smaller regions are noise
    seed: int = 0  # pixel sample for the tone fit

    def __post_init__(self) -> None:
        positive = (self.analysis_side, self.blur_sigma, self.threshold, self.join_fraction)
        if min(positive) <= 0 or self.tolerance_px < 0 or self.texture_weight < 0:
            raise AlterationInputError("alteration parameters must be positive")
        if not 0 <= self.grow_threshold <= self.threshold:
            raise AlterationInputError("the grow threshold must lie between 0 and the threshold")
        if not (0 < self.texture_share <= 1 and 0 <= self.min_area_fraction < 1):
            raise AlterationInputError("texture_share and min_area_fraction are shares")


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    width: int
    height: int
    score: float  # the region's largest difference, 0-1 (grey levels / 255)


@dataclass(frozen=True)
class Alterations:
    altered: bool
    altered_fraction: float  # of the overlap's area
    regions: tuple[Region, ...]  # strongest first
    overlap_fraction: float  # of the query's area that shows the work
    peak: float  # the largest difference anywhere in the overlap, 0-1, region or not
    params: AlterationParams = field(default_factory=AlterationParams)


def _check_image(name: str, image: object) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise AlterationInputError(f"the {name} must be a uint8 array")
    if image.ndim != 3 or image.shape[2] != 3:
        raise AlterationInputError(f"the {name} must be HxWx3 (RGB), not {image.shape}")
    if min(image.shape[:2]) < 8:
        raise AlterationInputError(f"the {name} is too small to compare ({image.shape[:2]})")
    return np.ascontiguousarray(image)


def _check_homography(matrix: object) -> np.ndarray:
    h = np.asarray(matrix, dtype=np.float64)
    if h.shape != (3, 3) or not np.isfinite(h).all():
        raise AlterationInputError("the homography must be a finite 3x3 matrix")
    if abs(h[2, 2]) > 1e-12:
        h = h / h[2, 2]
    if abs(np.linalg.det(h)) < 1e-12:
        raise AlterationInputError("the homography is singular")
    return h


def find_alterations(
    query: np.ndarray,
    work: np.ndarray,
    query_to_work: np.ndarray,
    params: AlterationParams | None = None,
) -> Alterations:
    """Compare `query` with `work` through `query_to_work` (query pixel -> work pixel)."""
    params = params or AlterationParams()
    query = _check_image("query", query)
    work = _check_image("work", work)
    homography = _check_homography(query_to_work)
    aligned = align(query, work, homography, params.analysis_side)
    sigma = params.blur_sigma * aligned.detail
    difference = compare(
        aligned.work,
        aligned.query,
        aligned.footprint,
        sigma=sigma,
        tolerance=params.tolerance_px,
        detail=aligned.detail,
        texture_weight=params.texture_weight,
        texture_share=params.texture_share,
        beyond=aligned.beyond,
        seed=params.seed,
    )
    overlap = int(difference.valid.sum())
    overlap_fraction = _overlap_fraction(aligned.footprint, aligned.analysis_to_query, query)
    if overlap == 0:
        return Alterations(False, 0.0, (), overlap_fraction, 0.0, params)
    side = max(difference.score.shape)
    blobs, covered = find_blobs(
        difference.score,
        difference.valid,
        aligned.analysis_to_query,
        query.shape,
        high=params.threshold,
        low=params.grow_threshold,
        join=round(params.join_fraction * side),
        min_area=max(4, round(params.min_area_fraction * overlap)),
        snap=(difference.margin + 1)
        * linear_scale(aligned.analysis_to_query, difference.score.shape),
    )
    regions = tuple(Region(b.x, b.y, b.width, b.height, round(b.score / 255, 4)) for b in blobs)
    fraction = float(covered.sum()) / overlap
    peak = round(float(difference.score.max()) / 255, 4)
    return Alterations(bool(regions), round(fraction, 4), regions, overlap_fraction, peak, params)


def _overlap_fraction(
    footprint: np.ndarray, analysis_to_query: np.ndarray, query: np.ndarray
) -> float:
    """The share of the query's area that lands on the work (|det| integrates the area)."""
    m = analysis_to_query
    h, w = footprint.shape
    # The query-pixel area of one analysis pixel, from the map's Jacobian determinant;
    # the denominator is affine in x and y, so it is built from a row and a column.
    along_x = m[2, 0] * np.arange(w)
    along_y = m[2, 1] * np.arange(h) + m[2, 2]
    if m[2, 0] == 0 and m[2, 1] == 0:  # an affine map: every pixel has the same area
        total = np.count_nonzero(footprint) / abs(m[2, 2]) ** 3
    else:
        denominator = np.abs(along_y[:, None] + along_x[None, :])
        total = float(np.sum(1.0 / (denominator * denominator * denominator), where=footprint))
    area = abs(np.linalg.det(m)) * total
    share = min(1.0, float(area) / float(query.shape[0] * query.shape[1]))
    return round(share, 4)
