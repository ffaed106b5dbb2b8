"""Comparison for altered-copy detection: a per-pixel difference that forgives the expected.

Both images are blurred (re-encoding and resampling noise is fine-grained), the work
is recoloured to the copy's tones, and each pixel is compared with the range of values
its neighbours take in the other image, both ways: a copy misregistered by up to the
tolerance radius then differs by nothing, at edges too, while an inserted object
(outside the work's range) or a removed one (the work outside the copy's range) does.
A second score catches detail lost (blurring, inpainting) beyond the copy's overall
loss; the larger of the two, in grey levels, is the pixel's score.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from rights.alterations_tone import fit_tone, quantile

BAND = (1.0, 3.0)  # difference-of-Gaussians sigmas for "fine detail", analysis pixels
ENERGY_SIGMA = 4.0  # its local averaging, analysis pixels
BLEED = 3  # analysis pixels of registration error left after refinement, at worst
CHROMA_WEIGHT = 1.6  # RGB levels per chroma level (1.40 for Cr, 1.77 for Cb)


@dataclass(frozen=True)
class Difference:
    score: np.ndarray  # float32, grey levels (0-255) beyond what the neighbourhood explains
    valid: np.ndarray  # bool: pixels far enough inside the overlap to be judged
    margin: int  # analysis pixels along the footprint's edge that are not judged


def _disk(radius: int) -> np.ndarray:
    side = 2 * radius + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))


def _outside_range(values: np.ndarray, others: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """How far each value lies outside the range its neighbourhood takes in `others`."""
    above = cv2.dilate(others, kernel)
    np.subtract(values, above, out=above)
    below = cv2.erode(others, kernel)
    np.subtract(below, values, out=below)
    np.maximum(above, below, out=above)
    return np.maximum(above, 0, out=above)


def _luma_chroma(rgb: np.ndarray, sigma: float) -> list[np.ndarray]:
    """Luma blurred by sigma, chroma by twice that: JPEG keeps colour at half resolution.

    Chroma is scaled back to the RGB levels it stands for (R - Y = 1.40 Cr, B - Y =
    1.77 Cb): unscaled, a green tint that moves red and blue by 29 levels scores 12.
    """
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    blurred = [cv2.GaussianBlur(np.ascontiguousarray(ycc[..., 0]), (0, 0), sigma)]
    for c in (1, 2):
        smooth = cv2.GaussianBlur(np.ascontiguousarray(ycc[..., c]), (0, 0), 2 * sigma)
        np.multiply(smooth, CHROMA_WEIGHT, out=smooth)
        blurred.append(smooth)
    return blurred


def inner(
    footprint: np.ndarray, margin: int, frame_margins: tuple[int, int, int, int] = (0, 0, 0, 0)
) -> np.ndarray:
    """The footprint less `margin` along its edges inside the frame, and less
    `frame_margins` (top, bottom, left, right) along the frame's own edges."""
    eroded = _eroded_box(footprint, margin)
    if eroded is None:
        kernel = _disk(margin)
        eroded = cv2.erode(footprint.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE)
    top, bottom, left, right = frame_margins
    eroded[:top] = 0
    eroded[eroded.shape[0] - bottom :] = 0
    eroded[:, :left] = 0
    eroded[:, eroded.shape[1] - right :] = 0
    return eroded > 0


def _eroded_box(mask: np.ndarray, radius: int) -> np.ndarray | None:
    """The erosion by a disk of `radius` when `mask` is one upright rectangle (a copy
    neither turned nor cropped), else None.

    A rectangle loses `radius` on each side that lies inside the frame; a side on the
    frame's edge loses nothing, the frame's border being replicated. The disk spans
    `radius` each way along both axes, so this is exactly cv2.erode's answer.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    columns = np.flatnonzero(mask[rows[0]])
    top, bottom, left, right = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    area = (bottom - top) * (right - left)
    if np.count_nonzero(mask) != area or not mask[top:bottom, left:right].all():
        return None
    h, w = mask.shape
    top, left = (top + radius if top > 0 else 0), (left + radius if left > 0 else 0)
    bottom = bottom - radius if bottom < h else h
    right = right - radius if right < w else w
    out = np.zeros(mask.shape, np.uint8)
    out[top : max(top, bottom), left : max(left, right)] = 1
    return out


def texture_loss(
    work_luma: np.ndarray, query_luma: np.ndarray, valid: np.ndarray, detail: float, share: float
) -> np.ndarray:
    """Grey levels of fine detail the copy lost, where it lost at least `share` of it.

    Blurring and inpainting remove a region's detail without moving its mean, which a
    blurred comparison barely sees in low-contrast texture. Detail is the local mean
    amplitude of a band-pass (difference of Gaussians); the copy's overall loss (JPEG,
    resampling) is measured on the textured half of the overlap and expected
    everywhere, so only a loss beyond it, and most of what was there, counts.
    """

    def energy(luma: np.ndarray) -> np.ndarray:
        band = cv2.GaussianBlur(luma, (0, 0), BAND[0] * detail)
        np.subtract(band, cv2.GaussianBlur(luma, (0, 0), BAND[1] * detail), out=band)
        return np.asarray(cv2.GaussianBlur(np.abs(band, out=band), (0, 0), ENERGY_SIGMA * detail))

    work_energy, query_energy = energy(work_luma), energy(query_luma)
    # the band and its average reach this far: nearer the footprint's edge they see
    # the warp's replicated border, which has no detail
    reach = int(np.ceil((3 * BAND[1] + 2 * ENERGY_SIGMA) * detail))
    judged = inner(valid, reach)
    if not judged.any():
        return np.zeros(valid.shape, np.float32)
    textured = judged & (work_energy > quantile(work_energy[judged], 0.5))
    kept = 1.0
    if textured.any():
        ratio = query_energy[textured] / np.maximum(work_energy[textured], 1e-3)
        kept = min(1.0, quantile(ratio, 0.5))
    expected = work_energy  # no longer needed as it was
    expected *= kept
    loss = expected - query_energy
    np.maximum(loss, 0, out=loss)
    dropped = loss < share * expected
    dropped |= ~judged
    loss[dropped] = 0
    return np.asarray(loss, np.float32)


def compare(
    work: np.ndarray,
    query: np.ndarray,
    footprint: np.ndarray,
    *,
    sigma: float,
    tolerance: int,
    detail: float,
    texture_weight: float,
    texture_share: float,
    beyond: tuple[bool, bool, bool, bool],
    seed: int,
) -> Difference:
    """`work` is uint8 (whole levels), `query` float32, both HxWx3 in the analysis frame."""
    levels, work = work, work.astype(np.float32)
    margin = tolerance + int(np.ceil(2 * sigma)) + 1
    # At the frame's edge only resampling reaches in, unless the query runs past it:
    # then what lies beyond (padding, a border) bleeds in by the registration's error.
    top, bottom, left, right = (margin + BLEED if past else tolerance + 1 for past in beyond)
    valid = inner(footprint, margin, (top, bottom, left, right))
    if not valid.any():
        return Difference(np.zeros(footprint.shape, np.float32), valid, margin)
    # The tone map is fitted on blurred pairs (noise and residual misregistration
    # average out) but applied before blurring, as the copy's own tone change was:
    # a contrast stretch that clips a thin bright line, then blurred, is not the blur
    # stretched.
    tone = fit_tone(
        cv2.GaussianBlur(work, (0, 0), sigma), cv2.GaussianBlur(query, (0, 0), sigma), valid, seed
    )
    toned_work = tone(levels)  # float32, a new array
    np.clip(toned_work, 0, 255, out=toned_work)
    toned = _luma_chroma(toned_work, sigma)
    seen = _luma_chroma(query, sigma)
    kernel = _disk(tolerance)
    score = np.zeros(footprint.shape, np.float32)
    for w, q in zip(toned, seen, strict=True):
        both = np.maximum(_outside_range(q, w, kernel), _outside_range(w, q, kernel))
        np.maximum(score, both, out=score)
    if texture_weight > 0:
        loss = texture_loss(_luma(toned_work), _luma(query), valid, detail, texture_share)
        np.maximum(score, texture_weight * loss, out=score)
    score[~valid] = 0
    return Difference(score, valid, margin)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), np.float32)
