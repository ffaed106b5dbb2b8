"""Fill left by turning a picture: flat wedges in the copy's corners that show no work.

Padding outside the work's frame never counts, by geometry alone. But a copy that was
cropped and then turned carries its turn's fill (flat triangles in its corners) over
the part of the work the crop removed, inside the work's frame: that is canvas, not an
edit. Such a wedge is a right triangle in a corner of the copy whose long side runs at
the turn's angle (the homography gives it). Each corner that is flat is grown into the
largest such triangle that is still nearly all the corner's colour. A caption bar,
frame or border band is flat too but never slanted, so it is left to be reported; a
flat part of the picture itself that continues a wedge's colour along its slant is
skipped with it (it cannot be told from fill, and comparing it would say nothing).
"""

import cv2
import numpy as np

MIN_TURN_DEGREES = 0.2  # below this a wedge is thinner than the comparison's margin
FLAT_STD = 12.0  # grey levels: a corner this still may be fill (JPEG rings, noise)
FILL_RANGE = 16  # grey levels a fill may stray from its corner's (JPEG noise)
FILL_SHARE = 0.85  # of each slanted row of a wedge that must be the fill's colour
MIN_LEG = 3  # pixels
ROW_WINDOW = 3  # slanted rows on each side judged together
TIP = (0.5, 0.95)  # a wedge's far half, as shares of its long leg, where a band...
BAND_DEPTH = 0.6  # ... keeps at least this share of the short leg as its depth...
BAND_SHARE = 0.4  # ... along at least this share of it...
TIP_SLACK = 2  # ... give or take this many pixels (resampling, JPEG ringing)
RIM = 2  # pixels: the wedge's ragged, resampled long side goes with it
ANGLE_STEPS = np.linspace(-0.6, 0.6, 7)  # degrees tried around the homography's turn


def turn_degrees(work_to_query: np.ndarray, at: tuple[float, float]) -> float:
    """The angle of the work's edges in the copy at point `at`, folded into (-45, 45]."""
    x, y = at
    m = work_to_query
    d = m[2, 0] * x + m[2, 1] * y + m[2, 2]
    u = (m[0, 0] * x + m[0, 1] * y + m[0, 2]) / d
    v = (m[1, 0] * x + m[1, 1] * y + m[1, 2]) / d
    dx = (m[0, 0] - u * m[2, 0]) / d
    dy = (m[1, 0] - v * m[2, 0]) / d
    angle = float(np.degrees(np.arctan2(dy, dx)))
    return (angle + 45) % 90 - 45


def rotation_fill(query: np.ndarray, degrees: float) -> np.ndarray:
    """Boolean HxW mask of the copy's pixels that are a turn's fill (usually none).

    The homography's angle may be a little off, which bends a long wedge's straight
    edge across the slanted rows; a few angles around it are tried and the largest
    wedge kept.
    """
    h, w = query.shape[:2]
    fill = np.zeros((h, w), bool)
    if abs(degrees) < MIN_TURN_DEGREES:
        return fill
    grey = cv2.cvtColor(query, cv2.COLOR_RGB2GRAY).astype(np.int16)
    angles = [a for a in abs(degrees) + ANGLE_STEPS if 0 < a <= 45]
    for flip_x in (False, True):
        for flip_y in (False, True):
            # a view with this corner at the origin; writes go through to `fill`
            corner = grey[:: -1 if flip_y else 1, :: -1 if flip_x else 1]
            target = fill[:: -1 if flip_y else 1, :: -1 if flip_x else 1]
            patch = corner[:2, :2]
            if patch.std() > FLAT_STD:
                continue
            same = np.abs(corner - int(np.median(patch))) <= FILL_RANGE
            for transpose in (False, True):  # long side along the rows, or the columns
                view = same.T if transpose else same
                out = target.T if transpose else target
                wedge = _best_wedge(view, angles)
                if wedge is not None:
                    rows, cols = wedge.shape
                    out[:rows, :cols] |= wedge
    if fill.any():
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RIM + 1, 2 * RIM + 1))
        fill = cv2.dilate(fill.astype(np.uint8), kernel) > 0
    return fill


def _best_wedge(same: np.ndarray, angles: list[float]) -> np.ndarray | None:
    """The largest wedge at the origin with its long side along the rows, over angles."""
    h, w = same.shape
    best: np.ndarray | None = None
    best_area = -1
    columns = np.arange(w, dtype=np.float64)
    for angle in angles:
        k = float(np.tan(np.radians(angle)))  # short leg per long leg
        depth = min(h, int(np.ceil(w * k)) + 2)
        reach = columns[None, :] + (np.arange(depth, dtype=np.float64) / k)[:, None]
        leg = _longest_leg(reach, same[:depth], min(w, h / k))
        if leg < MIN_LEG or not _ends_in_a_point(same, leg, k):
            continue
        wedge = reach <= leg
        area = int(np.count_nonzero(wedge))
        if area > best_area:
            best, best_area = wedge, area
    return best


def _longest_leg(reach: np.ndarray, same: np.ndarray, longest: float) -> int:
    """The longest leg a for which every slanted row {a-1 < reach <= a} is mostly fill.

    `reach` is constant along lines at the turn's slant, 0 at the corner, so
    {reach <= a} is the right triangle with leg a along the row; -1 if none.
    """
    rows = int(np.ceil(min(longest, float(reach[-1, -1])))) + 1  # reach grows both ways
    if rows <= MIN_LEG:
        return -1
    index = np.ceil(np.minimum(reach, rows)).astype(np.intp).ravel()
    total = np.bincount(index, minlength=rows + 1)[:rows]
    filled = np.bincount(index[same.ravel()], minlength=rows + 1)[:rows]
    # a thin wedge's rows hold a few pixels each: judge them a few rows at a time, so
    # that one JPEG-ringing pixel does not end it
    window = np.ones(2 * ROW_WINDOW + 1)
    total_near = np.convolve(total, window, mode="same")
    filled_near = np.convolve(filled, window, mode="same")
    failed = np.flatnonzero(filled_near < FILL_SHARE * total_near)
    return int(failed[0]) - 1 if failed.size else rows - 1


def _ends_in_a_point(same: np.ndarray, leg: int, k: float) -> bool:
    """Whether the flat colour thins out towards the wedge's tip, as a turn's fill does.

    A caption bar or a frame band along the edge holds slanted triangles too, but
    along such a triangle's far half the band keeps one depth, at least the
    triangle's own at the corner: the fill runs from the edge to a straight line
    (between a caption's letters, at least). A turn's fill follows the triangle,
    thinning out, except where the picture beside it shares its colour (a dark coat
    next to black fill), and a picture's edge is not a straight line along the side.
    """
    start, stop = int(TIP[0] * leg), int(TIP[1] * leg) + 1
    columns = same[:, start:stop]
    if columns.shape[1] == 0:
        return True
    runs = np.where(columns.all(axis=0), columns.shape[0], np.argmin(columns, axis=0))
    values, counts = np.unique(runs, return_counts=True)
    mode = int(values[np.argmax(counts)])
    share = float(np.mean(np.abs(runs - mode) <= TIP_SLACK))
    band = mode >= BAND_DEPTH * leg * k + TIP_SLACK and share >= BAND_SHARE
    return not band
