"""Where an edit lies in a copy, and how well a reported region overlaps it."""

import cv2
import numpy as np

from bench import bench_alterations_cases as cases
from rights.alterations import Alterations

Box = tuple[int, int, int, int]  # x, y, width, height


def iou(a: Box, b: Box) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / float(a[2] * a[3] + b[2] * b[3] - inter) if inter else 0.0


def mask_in_copy(mask: np.ndarray, copy: cases.Copy) -> np.ndarray:
    h, w = copy.image.shape[:2]
    moved = cv2.warpPerspective(mask.astype(np.float32), copy.work_to_query, (w, h))
    return moved >= 0.5


def box_of(mask: np.ndarray) -> Box | None:
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def best_iou(result: Alterations, box: Box) -> float:
    return max((iou((r.x, r.y, r.width, r.height), box) for r in result.regions), default=0.0)
