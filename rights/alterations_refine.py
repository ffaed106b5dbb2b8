"""Registration refinement for altered-copy detection: the matcher's homography, corrected.

The matcher's homography may be a few pixels off. Forgiving that by a wide
neighbourhood alone would also forgive small edits, and a misregistered tone fit pairs
unrelated levels on fine structure (thin lines turn into false regions). So the warped
copy is matched block by block against the work (normalised cross-correlation, blind
to brightness and contrast, within a few pixels), and a homography correction is
fitted to the blocks' shifts with RANSAC: blocks on an edit match poorly or disagree and are
left out, where a global fit (ECC) was dragged a few percent by a caption bar.
"""

import cv2
import numpy as np

BLOCKS = 8  # per side of the analysis frame
MIN_BLOCK = 24  # pixels
SEARCH = 5  # pixels each way
MIN_DETAIL = 4.0  # grey levels of standard deviation a block needs to be matched
MIN_MATCH = 0.7  # normalised correlation a block's best shift needs
MIN_BLOCKS = 6
MIN_BLOCKS_HOMOGRAPHY = 16
INLIER_PX = 1.0
MAX_CORRECTION = 0.02  # of the frame's longer side, at its corners; more is not a correction


def grey(image: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """Luma, resized with area averaging to `size` (width, height) if given."""
    luma = cv2.cvtColor(np.ascontiguousarray(image, np.float32), cv2.COLOR_RGB2GRAY)
    if size is not None and luma.shape[::-1] != size:
        luma = cv2.resize(luma, size, interpolation=cv2.INTER_AREA)
    return np.asarray(luma, np.float32)


def correlation(work: np.ndarray, query: np.ndarray, mask: np.ndarray) -> float:
    """Pearson correlation of the two images' luma over `mask`."""
    return _pearson(grey(work)[mask], grey(query)[mask])


def improves(work: np.ndarray, before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> bool:
    """Whether `after` correlates with the work better than `before` over `mask`."""
    work_luma = _centred(grey(work)[mask])  # once for both
    work_energy = float(np.einsum("i,i", work_luma, work_luma))
    scores = []
    for query in (after, before):
        query_luma = _centred(grey(query)[mask])
        products = (
            np.einsum("i,i", work_luma, query_luma),
            np.einsum("i,i", query_luma, query_luma),
        )
        scores.append(float(products[0] / max(np.sqrt(work_energy * products[1]), 1e-9)))
    return scores[0] > scores[1]


def _centred(values: np.ndarray) -> np.ndarray:
    centred = values.astype(np.float64)
    centred -= centred.mean()
    return centred


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = _centred(a), _centred(b)
    # einsum, not BLAS: a threaded dot waits for busy cores and gains nothing here
    products = (np.einsum("i,i", a, b), np.einsum("i,i", a, a), np.einsum("i,i", b, b))
    return float(products[0] / max(np.sqrt(products[1] * products[2]), 1e-9))


def _peak(scores: np.ndarray) -> tuple[float, float, float]:
    """The best shift (x, y) with sub-pixel parabolic refinement, and its score."""
    _, best, _, (px, py) = cv2.minMaxLoc(scores)
    offsets: list[float] = []
    for position, along in ((px, scores[py, :]), (py, scores[:, px])):
        offset = float(position)
        if 0 < position < along.size - 1:
            left, mid, right = (float(v) for v in along[position - 1 : position + 2])
            curvature = left - 2 * mid + right
            if curvature < 0:
                offset += 0.5 * (left - right) / curvature
        offsets.append(offset)
    return offsets[0] - SEARCH, offsets[1] - SEARCH, float(best)


def refine(work: np.ndarray, query: np.ndarray, footprint: np.ndarray) -> np.ndarray | None:
    """A small correction c (3x3) with query(x) ~ work(c(x)), or None when none is found."""
    h, w = footprint.shape
    side = max(MIN_BLOCK, min(h, w) // BLOCKS)
    work_grey = cv2.GaussianBlur(grey(work), (0, 0), 1.0)
    query_grey = cv2.GaussianBlur(grey(query), (0, 0), 1.0)
    sources: list[tuple[float, float]] = []
    targets: list[tuple[float, float]] = []
    for y in range(SEARCH, h - side - SEARCH + 1, side):
        for x in range(SEARCH, w - side - SEARCH + 1, side):
            if not footprint[y : y + side, x : x + side].all():
                continue
            block = query_grey[y : y + side, x : x + side]
            if float(cv2.meanStdDev(block)[1][0, 0]) < MIN_DETAIL:
                continue
            around = work_grey[y - SEARCH : y + side + SEARCH, x - SEARCH : x + side + SEARCH]
            dx, dy, score = _peak(cv2.matchTemplate(around, block, cv2.TM_CCOEFF_NORMED))
            if score < MIN_MATCH:
                continue
            centre = (x + (side - 1) / 2, y + (side - 1) / 2)
            sources.append(centre)
            targets.append((centre[0] + dx, centre[1] + dy))
    if len(sources) < MIN_BLOCKS:
        return None
    source = np.asarray(sources, np.float32)
    target = np.asarray(targets, np.float32)
    # a matcher's error is a homography's (four corners off on their own); fewer
    # blocks than that needs are fitted with an affine map
    if len(sources) >= MIN_BLOCKS_HOMOGRAPHY:
        correction, inliers = cv2.findHomography(source, target, cv2.RANSAC, INLIER_PX)
    else:
        affine, inliers = cv2.estimateAffine2D(
            source, target, method=cv2.RANSAC, ransacReprojThreshold=INLIER_PX
        )
        correction = None if affine is None else np.vstack([affine, [0.0, 0.0, 1.0]])
    if correction is None or inliers is None or int(inliers.sum()) < MIN_BLOCKS:
        return None
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)
    moved = cv2.perspectiveTransform(corners[None], correction)[0]
    if np.abs(moved - corners).max() > MAX_CORRECTION * max(h, w) + SEARCH:
        return None
    return np.asarray(correction, np.float64)
