"""Guided matching: a second look at the matches a model found too few of.

The ratio test keeps a query keypoint only when its nearest work descriptor is clearly
nearer than the next; on a small, re-encoded, faded copy (a quarter-size thumbnail of a
crop, say) most true pairs fail it, and a right map ends with 6 to 11 inliers, under the
bar. Once a model is found, each query keypoint can instead be matched where the model
puts it: to a work keypoint within REPROJECTION_PX of that place, turned alike, whose
descriptor is within GUIDED_DISTANCE bits (of 256: unrelated ORB descriptors are some
128 apart). A wrong model puts keypoints on unrelated places, where such a neighbour is
rare, so it gains little; a right one recovers the pairs the ratio test dropped.
"""

import numpy as np

from rights.nearcopy.transform import project

# Chosen on the tuning split (bench/bench_nearcopy.py --split tuning).
GUIDED_DISTANCE = 64
GUIDED_PX = 2.0  # in the work's 512 px working frame


def angle_offset(first: np.ndarray, second: np.ndarray | float) -> np.ndarray:
    """|first - second| in degrees, folded into [0, 180]."""
    offset: np.ndarray = np.abs((np.asarray(first, np.float64) - second + 180.0) % 360.0 - 180.0)
    return offset


def near_pairs(
    points: np.ndarray, others: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """(index into points, index into others) of every pair within `radius`: each point
    looks in the 3 x 3 grid cells (of side `radius`) around its own."""
    empty = np.empty(0, np.int64)
    if not len(points) or not len(others) or radius <= 0:
        return empty, empty
    cells = np.floor(np.asarray(others, np.float64) / radius).astype(np.int64)
    shift = int(np.abs(cells).max()) + 3
    keys = (cells[:, 0] + shift) * (4 * shift) + (cells[:, 1] + shift)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    own = np.floor(np.asarray(points, np.float64) / radius).astype(np.int64)
    # Points far outside the others' cells would wrap into wrong keys: they have none near.
    inside = np.all(np.abs(own) <= shift - 2, axis=1)
    found_points, found_others = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            wanted = (own[:, 0] + dx + shift) * (4 * shift) + (own[:, 1] + dy + shift)
            low = np.searchsorted(keys, wanted, side="left")
            count = np.where(inside, np.searchsorted(keys, wanted, side="right") - low, 0)
            found_points.append(np.repeat(np.arange(len(points)), count))
            starts = np.repeat(low - np.concatenate([[0], np.cumsum(count)[:-1]]), count)
            found_others.append(order[np.arange(int(count.sum())) + starts])
    first, second = np.concatenate(found_points), np.concatenate(found_others)
    close = np.linalg.norm(points[first] - others[second], axis=1) <= radius
    return first[close], second[close]


_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


def hamming(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Bit distance between aligned rows of two uint8 descriptor arrays."""
    differing = np.asarray(first, dtype=np.uint8) ^ np.asarray(second, dtype=np.uint8)
    counted: np.ndarray = _BYTE_BITS[differing].sum(axis=1)
    return counted


def guided_pairs(
    query_points: np.ndarray,
    query_angles: np.ndarray,
    query_descriptors: np.ndarray,
    work_points: np.ndarray,
    work_angles: np.ndarray,
    work_descriptors: np.ndarray,
    model: np.ndarray,
    turn: float,
    window: float,
    seed: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """(query index, work index) pairs, one to one, closest descriptors first: the `seed`
    pairs (the model's own inliers), and each query keypoint mapped by `model` (working
    frames) within GUIDED_PX of a work keypoint whose orientation differs by `turn` within
    `window` degrees, descriptors within GUIDED_DISTANCE bits."""
    query_index, work_index = (np.asarray(a, np.int64) for a in seed)
    mapped = project(model, query_points)
    finite = np.all(np.isfinite(mapped), axis=1)
    if finite.any() and len(work_points):
        found_query, found_work = near_pairs(mapped[finite], work_points, GUIDED_PX)
        found_query = np.flatnonzero(finite)[found_query]
        offset = angle_offset(query_angles[found_query] - work_angles[found_work], turn)
        query_index = np.concatenate([query_index, found_query[offset <= window]])
        work_index = np.concatenate([work_index, found_work[offset <= window]])
    distance = hamming(query_descriptors[query_index], work_descriptors[work_index])
    close = distance <= GUIDED_DISTANCE
    close[: len(seed[0])] = True
    return one_each(query_index[close], work_index[close], distance[close])


def one_each(
    query_index: np.ndarray, work_index: np.ndarray, distance: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs kept so that each query and each work keypoint is used once, closest first
    (greedy: a work keypoint goes to its closest query keypoint, then a query keypoint
    keeps its closest remaining work keypoint)."""
    order = np.lexsort((query_index, work_index, distance))
    query_index, work_index = query_index[order], work_index[order]
    _, first_work = np.unique(work_index, return_index=True)
    kept = np.sort(first_work)
    _, first_query = np.unique(query_index[kept], return_index=True)
    kept = kept[np.sort(first_query)]
    return query_index[kept], work_index[kept]
