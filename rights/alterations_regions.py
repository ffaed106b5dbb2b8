"""Regions for altered-copy detection: thresholded differences grouped and mapped back.

Hysteresis keeps a region's full extent (its faint rim joins its strong core) without
letting faint noise start a region; a closing joins the strokes of drawn text and the
fragments of a patchy edit (a blur shows only where there was detail) into one region;
regions with fewer differing pixels than a floor are noise.
"""

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Blob:
    x: int  # box in query pixels
    y: int
    width: int
    height: int
    score: float  # the region's peak difference, grey levels
    area: int  # differing analysis pixels in it


def _to_query(points: np.ndarray, analysis_to_query: np.ndarray) -> np.ndarray:
    mapped = cv2.perspectiveTransform(
        points.reshape(-1, 1, 2).astype(np.float64), analysis_to_query
    )
    return np.asarray(mapped).reshape(-1, 2)


def find_blobs(
    score: np.ndarray,
    valid: np.ndarray,
    analysis_to_query: np.ndarray,
    query_shape: tuple[int, ...],
    *,
    high: float,
    low: float,
    join: int,
    min_area: int,
    snap: float,
) -> tuple[list[Blob], np.ndarray]:
    """Regions whose peak reaches `high`, grown over `low`; also the mask they cover.

    The comparison cannot judge a margin along the query's edges; a region that
    reaches that margin (`snap` query pixels) is taken to run on to the edge, as a
    caption bar flush with the bottom does.
    """
    strong = (score >= high) & valid
    if not strong.any():
        return [], np.zeros(score.shape, bool)
    weak = (score >= low) & valid
    grouped = weak.astype(np.uint8)
    if join > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * join + 1, 2 * join + 1))
        grouped = cv2.morphologyEx(grouped, cv2.MORPH_CLOSE, kernel) & valid.astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    seeded = np.zeros(count, bool)
    seeded[np.unique(labels[strong])] = True
    seeded[0] = False
    # Only seeded components' peaks are read: each from its own box (np.maximum.at
    # over every pixel cost several milliseconds a comparison).
    peaks = np.zeros(count, np.float64)
    for label in np.flatnonzero(seeded):
        x, y = stats[label, cv2.CC_STAT_LEFT], stats[label, cv2.CC_STAT_TOP]
        w, h = stats[label, cv2.CC_STAT_WIDTH], stats[label, cv2.CC_STAT_HEIGHT]
        inside = labels[y : y + h, x : x + w] == label
        peaks[label] = max(0.0, float(score[y : y + h, x : x + w][inside].max()))
    # A region's evidence is its differing pixels, not the gaps the grouping closed.
    evidence = np.bincount(labels[weak], minlength=count)
    query_h, query_w = query_shape[:2]
    blobs: list[Blob] = []
    covered = np.zeros(score.shape, bool)
    for group in _near_groups(stats, np.flatnonzero(seeded), join):
        area = int(evidence[group].sum())
        if area < min_area:
            continue
        component = np.isin(labels, group)
        covered |= component & weak
        contours, _ = cv2.findContours(
            component.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
        )
        # A pixel's extent is +-0.5 around its centre: the outline's corners are widened.
        outline = np.concatenate([c.reshape(-1, 2) for c in contours]).astype(np.float64)
        corners = np.concatenate(
            [outline + offset for offset in ((-0.5, -0.5), (0.5, -0.5), (-0.5, 0.5), (0.5, 0.5))]
        )
        points = _to_query(corners, analysis_to_query)
        x0, y0 = np.floor(points.min(axis=0) + 0.5)
        x1, y1 = np.ceil(points.max(axis=0) + 0.5)
        x0, y0 = (0 if x0 <= snap else int(x0)), (0 if y0 <= snap else int(y0))
        x1 = query_w if x1 >= query_w - snap else int(x1)
        y1 = query_h if y1 >= query_h - snap else int(y1)
        if x1 <= x0 or y1 <= y0:
            continue
        blobs.append(Blob(x0, y0, x1 - x0, y1 - y0, float(peaks[group].max()), area))
    blobs.sort(key=lambda b: (-b.score, b.y, b.x))
    return blobs, covered


def _near_groups(stats: np.ndarray, labels: np.ndarray, join: int) -> list[list[int]]:
    """Components whose boxes come within `join` pixels of each other, grouped.

    The words of a caption or the patches of one blurred area are one alteration;
    the closing joins what is near pixel by pixel, this joins near boxes.
    """
    boxes = [
        [
            stats[label, cv2.CC_STAT_LEFT],
            stats[label, cv2.CC_STAT_TOP],
            stats[label, cv2.CC_STAT_LEFT] + stats[label, cv2.CC_STAT_WIDTH],
            stats[label, cv2.CC_STAT_TOP] + stats[label, cv2.CC_STAT_HEIGHT],
        ]
        for label in labels
    ]
    groups = [[int(label)] for label in labels]
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = boxes[i], boxes[j]
                gap_x = max(a[0] - b[2], b[0] - a[2])
                gap_y = max(a[1] - b[3], b[1] - a[3])
                if gap_x <= join and gap_y <= join:
                    boxes[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    groups[i] += groups.pop(j)
                    boxes.pop(j)
                    merged = True
                    break
            if merged:
                break
    return groups
