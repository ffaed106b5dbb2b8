"""Imperceptible watermark carrying a 48-bit id, for C2PA soft binding.

Quantisation index modulation (QIM) of the mean luminance of the cells of a 32x32
grid. The grid is relative to the image size, so aspect-preserving resizing keeps
it; only the inner part of each cell is measured, so resampling blur across cell
borders and JPEG's 8x8 blocks do not move the means much. The same offset goes to
R, G and B, so chroma (which JPEG subsamples and quantises hardest) is untouched.

Payload: 48-bit id + CRC-16/CCITT = 64 bits, each repeated over 16 cells that a
fixed permutation scatters over the image, decoded by a soft majority vote. A
fixed per-cell dither shifts each cell's lattice, so flat or smooth images decode
to noise rather than to a constant word. Crops are found by a search over
hypotheses of the original extent; each hypothesis must pass the CRC and a
confidence threshold that unmarked photographs stay far below.
"""

import re
import secrets
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

WATERMARK_ALG = "org.provenance-governance.watermark.qim.1"
PAYLOAD_BITS = 48
CRC_BITS = 16
CODE_BITS = PAYLOAD_BITS + CRC_BITS
GRID = 32  # cells per side
STEP = 8.0  # QIM lattice spacing in grey levels: uniform offsets of +-STEP/2 cost STEP^2/12 MSE
INNER_MARGIN = 0.2  # fraction of a cell trimmed on each side before measuring
MIN_SIDE = 64  # two pixels per cell: below this the inner regions vanish
MAX_CROP = 0.2  # largest crop (fraction of each side) the search considers
CROP_STEP = 0.01
# Mean |vote| / cells. Unmarked photographs score ~0.15 (0.2 with a crop's erasures);
# marked ones ~0.97, and ~0.5 after JPEG q50 and a crop.
MIN_CONFIDENCE = 0.35
_ITERATIONS = 4  # clipping corrections; each one shrinks the error by the clipped fraction
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_ID = re.compile(r"[0-9a-f]{12}")

_rng = np.random.default_rng(0x51_4D_31)  # fixed: embedder and detector must agree
_CELL_BIT = (_rng.permutation(GRID * GRID) % CODE_BITS).reshape(GRID, GRID)
_DITHER = _rng.uniform(0.0, STEP, (GRID, GRID))
_VOTE = np.zeros((GRID * GRID, CODE_BITS))
_VOTE[np.arange(GRID * GRID), _CELL_BIT.ravel()] = 1.0

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Detection:
    watermark_id: str
    confidence: float  # mean normalised vote margin, 0 (noise) to 1 (pristine)
    transform: str  # geometric hypothesis that matched: "none" or "crop ..."


def new_watermark_id() -> str:
    return secrets.token_hex(PAYLOAD_BITS // 8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * float(np.log10(255.0**2 / mse))


def _crc16(data: bytes) -> int:
    crc = 0xFFFF  # CRC-16/CCITT-FALSE: a nonzero start, so an all-zero word fails the check
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _codeword(watermark_id: str) -> npt.NDArray[np.uint8]:
    payload = bytes.fromhex(watermark_id)
    word = payload + _crc16(payload).to_bytes(2, "big")
    return np.unpackbits(np.frombuffer(word, dtype=np.uint8))


def _read_codeword(bits: npt.NDArray[np.bool_]) -> str | None:
    word = np.packbits(bits.astype(np.uint8)).tobytes()
    payload, crc = word[: PAYLOAD_BITS // 8], word[PAYLOAD_BITS // 8 :]
    return payload.hex() if _crc16(payload) == int.from_bytes(crc, "big") else None


def _luminance(rgb: np.ndarray) -> npt.NDArray[np.float32]:
    pixels = rgb.astype(np.float32, copy=False)
    if pixels.ndim == 2:
        return pixels
    return pixels[..., :3] @ _LUMA


def _integral(luma: np.ndarray) -> FloatArray:
    # float64: a float32 running sum of 10^5 pixels loses the fractions QIM needs
    table = np.zeros((luma.shape[0] + 1, luma.shape[1] + 1))
    np.cumsum(luma, axis=0, dtype=np.float64, out=table[1:, 1:])
    np.cumsum(table[1:, 1:], axis=1, out=table[1:, 1:])
    return table


def _round(values: FloatArray) -> IntArray:
    return np.floor(values + 0.5).astype(np.int64)  # half up, unlike np.round's half-even


def _inner_bounds(
    size: int, origin: FloatArray, extent: FloatArray
) -> tuple[IntArray, IntArray, BoolArray]:
    """Inner-region bounds of each cell along one axis for each hypothesis (rows)."""
    edges = origin[:, None] + extent[:, None] * np.arange(GRID + 1) / GRID
    margin = (INNER_MARGIN * extent / GRID)[:, None]
    lo, hi = _round(edges[:, :-1] + margin), _round(edges[:, 1:] - margin)
    valid = (lo >= 0) & (hi <= size) & (hi > lo)
    return np.clip(lo, 0, size), np.clip(hi, 0, size), valid


def _axis_hypotheses(size: int, ends: tuple[str, str]) -> tuple[FloatArray, FloatArray, list[str]]:
    """Original extents along one axis: uncropped, then the image kept at either end or centred.

    Labels name the part of the original that the image is, e.g. "0.10 top".
    """
    origins, extents, labels = [0.0], [float(size)], [""]
    for step in range(1, round(MAX_CROP / CROP_STEP) + 1):
        crop = step * CROP_STEP
        extent = size / (1.0 - crop)
        for where, fraction in ((ends[0], 0.0), ("centre", 0.5), (ends[1], 1.0)):
            origins.append((size - extent) * fraction)
            extents.append(extent)
            labels.append(f"{crop:.2f} {where}")
    return np.array(origins), np.array(extents), labels


def _describe(rows: str, cols: str) -> str:
    if not rows and not cols:
        return "none"
    if rows and cols and rows.split()[0] == cols.split()[0]:
        crop, y_where, x_where = rows.split()[0], rows.split()[1], cols.split()[1]
        where = "-".join(w for w in (y_where, x_where) if w != "centre") or "centre"
        return f"crop {crop} {where}"
    return ", ".join(f"crop {axis} {label}" for axis, label in (("y", rows), ("x", cols)) if label)


def _cell_means(
    table: FloatArray, rows: tuple[IntArray, IntArray], cols: tuple[IntArray, IntArray]
) -> FloatArray:
    """Inner-region means for one row hypothesis (1-D bounds) and many column ones (2-D)."""
    strip = table[rows[1]] - table[rows[0]]  # (GRID, width + 1)
    sums = strip[:, cols[1]] - strip[:, cols[0]]  # (GRID, hypotheses, GRID)
    area = (rows[1] - rows[0])[:, None, None] * (cols[1] - cols[0])[None]
    return np.transpose(sums / np.maximum(area, 1), (1, 0, 2))


def embed(rgb: np.ndarray, watermark_id: str) -> np.ndarray:
    """Return a watermarked copy of an RGB uint8 image (HxWx3)."""
    if not isinstance(watermark_id, str) or not _ID.fullmatch(watermark_id):
        raise ValueError("watermark id must be 12 lowercase hex characters")
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3:
        raise ValueError("image must be a uint8 HxWx3 array")
    if rgb.shape[2] != 3:
        raise ValueError("image must have 3 channels (RGB)")
    height, width = rgb.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise ValueError(f"image too small to carry a watermark: shorter side < {MIN_SIDE} px")

    y_lo, y_hi, _ = _inner_bounds(height, np.zeros(1), np.array([float(height)]))
    x_lo, x_hi, _ = _inner_bounds(width, np.zeros(1), np.array([float(width)]))

    def measure(image: np.ndarray) -> FloatArray:
        table = _integral(_luminance(image))
        means: FloatArray = _cell_means(table, (y_lo[0], y_hi[0]), (x_lo, x_hi))[0]
        return means

    bits = _codeword(watermark_id)[_CELL_BIT]
    means = measure(rgb)

    # Nearest lattice point of the right parity; near 0 or 255 the other neighbour,
    # which is reachable, so saturated images still carry the mark.
    shift = _DITHER + bits * (STEP / 2)
    target = shift + STEP * np.round((means - shift) / STEP)
    target = np.where(target > 254.0, target - STEP, target)
    target = np.where(target < 1.0, target + STEP, target)

    row_cell = (2 * np.arange(height) + 1) * GRID // (2 * height)  # by pixel centre
    col_cell = (2 * np.arange(width) + 1) * GRID // (2 * width)
    pixels = rgb.astype(np.float32)
    offset = target - means
    out = rgb
    for _ in range(_ITERATIONS):
        per_pixel = offset.astype(np.float32)[row_cell[:, None], col_cell[None, :]]
        out = np.clip(pixels + per_pixel[..., None] + 0.5, 0, 255).astype(np.uint8)
        error = target - measure(out)
        if float(np.abs(error).max()) < 0.25:  # rounding to uint8 leaves ~0.1 anyway
            break
        offset += error
    return out


def _search(table: FloatArray, height: int, width: int, full: bool) -> Detection | None:
    y_origin, y_extent, y_labels = _axis_hypotheses(height, ("top", "bottom"))
    x_origin, x_extent, x_labels = _axis_hypotheses(width, ("left", "right"))
    count = len(y_labels) if full else 1
    y_lo, y_hi, y_valid = _inner_bounds(height, y_origin[:count], y_extent[:count])
    x_lo, x_hi, x_valid = _inner_bounds(width, x_origin[:count], x_extent[:count])
    best: Detection | None = None
    for row in range(count):
        means = _cell_means(table, (y_lo[row], y_hi[row]), (x_lo, x_hi))
        valid = (y_valid[row][None, :, None] & x_valid[:, None, :]).reshape(count, -1)
        soft = np.cos(2 * np.pi * (means - _DITHER) / STEP).reshape(count, -1) * valid
        votes, cells = soft @ _VOTE, valid @ _VOTE
        confidence = np.abs(votes).sum(axis=1) / np.maximum(cells.sum(axis=1), 1)
        usable = (confidence >= MIN_CONFIDENCE) & (cells.min(axis=1) > 0)
        for column in np.flatnonzero(usable):
            found = _read_codeword(votes[column] < 0)  # +1 means a cell sits on the 0 lattice
            if found is None or (best is not None and best.confidence >= confidence[column]):
                continue
            transform = _describe(y_labels[row], x_labels[column])
            best = Detection(found, round(float(confidence[column]), 4), transform)
    return best


def detect(rgb: np.ndarray) -> Detection | None:
    """Find the watermark in an image (RGB HxWx3, or greyscale HxW); None when absent."""
    image = np.asarray(rgb)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] < 3):
        raise ValueError("image must be an HxWx3 (or HxW) array")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        return None
    table = _integral(_luminance(image))
    return _search(table, height, width, full=False) or _search(table, height, width, full=True)
