"""Alignment for altered-copy detection: the query warped into the work's frame.

Coordinates are OpenCV's: pixel (i, j) is the point (x=j, y=i), its centre. The
comparison runs in an analysis frame, the work's frame scaled down so that its longer
side is at most `analysis_side` pixels and never finer than the query itself samples
the work (a quarter-size copy is compared at a quarter of the work's resolution, so
detail the copy never had is not reported missing).
"""

from dataclasses import dataclass

import cv2
import numpy as np

from rights.alterations_fill import rotation_fill, turn_degrees
from rights.alterations_refine import improves, refine

MIN_ANALYSIS_SIDE = 96


@dataclass(frozen=True)
class Aligned:
    work: np.ndarray  # analysis frame, uint8 HxWx3 (whole levels: tone tables apply exactly)
    query: np.ndarray  # query warped into the analysis frame, float32 HxWx3
    footprint: np.ndarray  # bool: analysis pixels the query covers
    analysis_to_query: np.ndarray  # 3x3, analysis pixel -> query pixel
    detail: float  # >= 1: how much coarser than the analysis frame the query samples it
    beyond: tuple[bool, bool, bool, bool]  # the query runs past the top, bottom, left, right


def resize_matrix(from_size: tuple[int, int], to_size: tuple[int, int]) -> np.ndarray:
    """Pixel -> pixel map of cv2.resize from (width, height) to (width, height)."""
    sx = to_size[0] / from_size[0]
    sy = to_size[1] / from_size[1]
    return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1]])


def linear_scale(matrix: np.ndarray, shape: tuple[int, ...]) -> float:
    """A homography's linear scale at the centre of an image of `shape` (the square root
    of its Jacobian's determinant there): output pixels per input pixel."""
    h, w = shape[:2]
    x, y = (w - 1) / 2, (h - 1) / 2
    m = matrix
    denominator = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    u = (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / denominator
    v = (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / denominator
    jacobian = (
        np.array(
            [
                [m[0, 0] - u * m[2, 0], m[0, 1] - u * m[2, 1]],
                [m[1, 0] - v * m[2, 0], m[1, 1] - v * m[2, 1]],
            ]
        )
        / denominator
    )
    return float(np.sqrt(abs(np.linalg.det(jacobian))))


def align(
    query: np.ndarray, work: np.ndarray, query_to_work: np.ndarray, analysis_side: int
) -> Aligned:
    work_h, work_w = work.shape[:2]
    longest = max(work_h, work_w)
    scale = linear_scale(query_to_work, query.shape)
    # analysis pixels per work pixel: the cap, the query's own sampling, then a floor
    wanted = min(1.0, analysis_side / longest, 1.0 / max(scale, 1e-9))
    ratio = max(wanted, min(1.0, MIN_ANALYSIS_SIDE / longest))
    size = (max(1, round(work_w * ratio)), max(1, round(work_h * ratio)))
    work_to_analysis = resize_matrix((work_w, work_h), size)
    work_small = cv2.resize(work, size, interpolation=cv2.INTER_AREA)

    # A query finer than the analysis frame is shrunk first with area averaging: a
    # perspective warp alone would alias it.
    query_h, query_w = query.shape[:2]
    shrink = min(1.0, scale * ratio)
    query_size = (max(1, round(query_w * shrink)), max(1, round(query_h * shrink)))
    query_to_small = resize_matrix((query_w, query_h), query_size)
    query_small = (
        cv2.resize(query, query_size, interpolation=cv2.INTER_AREA) if shrink < 1.0 else query
    )
    small_to_analysis = work_to_analysis @ query_to_work @ np.linalg.inv(query_to_small)
    content = _content(query_small, small_to_analysis, size)
    warped, footprint = _warp(query_small, content, small_to_analysis, size)
    work_float = work_small.astype(np.float32)
    correction = refine(work_float, warped, footprint)
    if correction is not None:
        refined = correction @ small_to_analysis
        # the refined turn finds a turn's fill more exactly (its long edge is straight)
        refined_content = _content(query_small, refined, size)
        warped_again, footprint_again = _warp(query_small, refined_content, refined, size)
        # keep only an improvement (repeated texture can fool block matching)
        both = footprint & footprint_again
        if improves(work_float, warped, warped_again, both):
            small_to_analysis, warped, footprint = refined, warped_again, footprint_again
    analysis_to_query = np.linalg.inv(small_to_analysis @ query_to_small)
    return Aligned(
        work=work_small,
        query=warped,
        footprint=footprint,
        analysis_to_query=analysis_to_query,
        detail=max(1.0, scale * ratio),
        beyond=_beyond(query_small.shape, small_to_analysis, size),
    )


def _beyond(
    shape: tuple[int, ...], to_analysis: np.ndarray, size: tuple[int, int]
) -> tuple[bool, bool, bool, bool]:
    """Which sides of the frame the query runs past (padding, a border, a wider shot)."""
    h, w = shape[:2]
    corners = np.array([[[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]]])
    xs, ys = cv2.perspectiveTransform(corners, to_analysis)[0].T
    past = 1.0  # pixels: a corner this far out shows content beyond the edge
    top, bottom = ys.min() < -0.5 - past, ys.max() > size[1] - 0.5 + past
    left, right = xs.min() < -0.5 - past, xs.max() > size[0] - 0.5 + past
    return bool(top), bool(bottom), bool(left), bool(right)


def _content(query: np.ndarray, to_analysis: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 mask of the query's pixels that show the work (255) rather than fill (0)."""
    centre = ((size[0] - 1) / 2, (size[1] - 1) / 2)
    turn = turn_degrees(np.linalg.inv(to_analysis), centre)
    return np.where(rotation_fill(query, turn), 0, 255).astype(np.uint8)


def _warp(
    image: np.ndarray, content: np.ndarray, matrix: np.ndarray, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The image and its content mask (uint8, 255 = shows the work) in the analysis frame."""
    warped = cv2.warpPerspective(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    footprint = cv2.warpPerspective(content, matrix, size, flags=cv2.INTER_NEAREST, borderValue=0)
    return warped.astype(np.float32), footprint > 0
