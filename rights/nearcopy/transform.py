"""What a verified homography says about a copy: turn, scale, mirror and crop windows.

Pixel coordinates are OpenCV's (pixel (i, j) is the point x=j, y=i, its centre). Boxes
are in edge coordinates, as crops are given: a box (x, y, width, height) over a whole
W x H image is (0, 0, W, H).
"""

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return self.width * self.height


@dataclass(frozen=True)
class Transform:
    """How the work appears in the query.

    The query is the work mirrored left-right (when `mirrored`), then turned by
    `rotation_degrees` counterclockwise as seen, then scaled by `scale` (query pixels per
    work pixel); a vertical flip is a mirror turned 180 degrees."""

    rotation_degrees: float  # in (-180, 180]
    scale: float
    mirrored: bool
    inverted: bool  # the query is a negative of the work
    query_in_work: Box  # the part of the work the query shows (clipped to the work)
    work_in_query: Box  # where the work lies in the query (clipped to the query)
    work_fraction: float  # of the work's area, the share the query shows
    query_fraction: float  # of the query's area, the share the work fills


def edge_corners(width: int, height: int) -> np.ndarray:
    """The image's outer corners as points (pixel centres sit at whole numbers)."""
    return np.array(
        [[-0.5, -0.5], [width - 0.5, -0.5], [width - 0.5, height - 0.5], [-0.5, height - 0.5]]
    )


def project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    """N x 2 points through a 3 x 3 homography."""
    columns = homography @ np.vstack([np.asarray(points, np.float64).T, np.ones(len(points))])
    projected: np.ndarray = (columns[:2] / columns[2]).T
    return projected


def footprint(homography: np.ndarray, source: tuple[int, int], target: tuple[int, int]) -> Box:
    """The source image (width, height) mapped into the target, clipped to the target,
    as a box in edge coordinates; an empty box when they do not meet."""
    quad = project(homography, edge_corners(*source)).astype(np.float32)
    frame = edge_corners(*target).astype(np.float32)
    # The plausibility checks keep the quad convex and in front of the camera.
    area, overlap = cv2.intersectConvexConvex(_convex(quad), frame)
    if overlap is None or area <= 0:
        return Box(0.0, 0.0, 0.0, 0.0)
    points = overlap.reshape(-1, 2) + 0.5
    low = points.min(axis=0)
    high = points.max(axis=0)
    return Box(
        round(float(low[0]), 2),
        round(float(low[1]), 2),
        round(float(high[0] - low[0]), 2),
        round(float(high[1] - low[1]), 2),
    )


def covered_fraction(
    homography: np.ndarray, source: tuple[int, int], target: tuple[int, int]
) -> float:
    """Of the target's area, the share the source image covers when mapped into it."""
    quad = project(homography, edge_corners(*source)).astype(np.float32)
    area, _ = cv2.intersectConvexConvex(_convex(quad), edge_corners(*target).astype(np.float32))
    return round(min(1.0, max(0.0, float(area) / float(target[0] * target[1]))), 4)


def _convex(quad: np.ndarray) -> np.ndarray:
    hull: np.ndarray = cv2.convexHull(quad)
    return hull.reshape(-1, 2)


def local_linear(homography: np.ndarray, point: np.ndarray) -> np.ndarray:
    """The homography's 2 x 2 Jacobian at `point`."""
    m = homography / homography[2, 2]
    x, y = float(point[0]), float(point[1])
    w = m[2, 0] * x + m[2, 1] * y + 1.0
    u = (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / w
    v = (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / w
    jacobian: np.ndarray = (
        np.array(
            [
                [m[0, 0] - u * m[2, 0], m[0, 1] - u * m[2, 1]],
                [m[1, 0] - v * m[2, 0], m[1, 1] - v * m[2, 1]],
            ]
        )
        / w
    )
    return jacobian


def describe(
    query_to_work: np.ndarray,
    query_size: tuple[int, int],
    work_size: tuple[int, int],
    inverted: bool,
) -> Transform:
    """The transform a query -> work homography (image pixels) stands for."""
    work_to_query = np.linalg.inv(query_to_work)
    shown = footprint(query_to_work, query_size, work_size)
    centre = (
        np.array([shown.x + shown.width / 2 - 0.5, shown.y + shown.height / 2 - 0.5])
        if shown.area > 0
        else np.array([(work_size[0] - 1) / 2, (work_size[1] - 1) / 2])
    )
    linear = local_linear(work_to_query, centre)
    determinant = float(np.linalg.det(linear))
    mirrored = determinant < 0
    if mirrored:
        # The query is turn(mirror(work)): undo the mirror to read the turn.
        linear = linear @ np.diag([-1.0, 1.0])
    # y points down, so a counterclockwise turn as seen is [[c, s], [-s, c]].
    angle = math.degrees(math.atan2(linear[0, 1] - linear[1, 0], linear[0, 0] + linear[1, 1]))
    if angle <= -180.0:
        angle += 360.0
    return Transform(
        rotation_degrees=round(angle, 2),
        scale=round(math.sqrt(abs(determinant)), 4),
        mirrored=mirrored,
        inverted=inverted,
        query_in_work=shown,
        work_in_query=footprint(work_to_query, work_size, query_size),
        work_fraction=covered_fraction(query_to_work, query_size, work_size),
        query_fraction=covered_fraction(work_to_query, work_size, query_size),
    )
