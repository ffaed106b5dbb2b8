"""Fingerprints of a decoded image: exact digests and perceptual hashes in both orientations.

Perceptual hashes are candidates, not verdicts (see DESIGN: crops and rotations
defeat them); the kinds are rows, so new kinds can be added without a new table.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import imagehash
import numpy as np
from PIL import Image, ImageOps

_MASK = (1 << 64) - 1
PHASH_SIDE = 32  # imagehash.phash: hash_size 8 * highfreq_factor 4
DHASH_SIDE = 8
# pHash is the sign of the 8x8 lowest DCT frequencies against their median, so a picture
# that varies in at most one direction (a solid colour, a strip one pixel wide, a ramp, two
# bands) has at most 8 of them non-zero and its pHash at most 8 bits set. All such hashes
# lie within 16 bits of each other: they would match every picture like them. A picture
# that varies both ways sets 31 or 32 (the median splits distinct values in half).
FLAT_MAX_BITS = 8
_DIGEST_ROWS = 256


class HashKind(StrEnum):
    PHASH = "phash"
    DHASH = "dhash"


class Orientation(StrEnum):
    ORIGINAL = "original"
    MIRRORED = "mirrored"


@dataclass(frozen=True)
class PerceptualHash:
    kind: HashKind
    orientation: Orientation
    value: int  # 64 bits, stored signed so that every database takes it as BIGINT

    @property
    def hex(self) -> str:
        return hash_hex(self.value)


@dataclass(frozen=True)
class Fingerprints:
    pixel_sha256: str
    hashes: tuple[PerceptualHash, ...]

    def get(self, kind: HashKind, orientation: Orientation) -> int:
        for h in self.hashes:
            if h.kind is kind and h.orientation is orientation:
                return h.value
        raise KeyError((kind, orientation))

    @property
    def flat(self) -> bool:
        """Too flat to fingerprint: a pHash, in either orientation, with too little in it."""
        return any(h.kind is HashKind.PHASH and is_flat_hash(h.value) for h in self.hashes)

    @property
    def phash_bits(self) -> int:
        """The fewest bits set (or unset) among the pHashes: what `flat` measures."""
        return min(_information(h.value) for h in self.hashes if h.kind is HashKind.PHASH)


# 16-bit, 32-bit integer and float images: common for archival scans. Converting them
# with Pillow clips to 0-255 (most pixels turn white), so they are handled by value.
HIGH_DEPTH = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def pixel_sha256(image: Image.Image) -> str:
    """SHA-256 of the decoded pixels, so a lossless re-encode is recognised as the same image."""
    if image.mode in HIGH_DEPTH:
        # One form per kind, whatever the container's byte order or integer width.
        kind = "F" if image.mode == "F" else "I"
        header = f"{kind}:{image.width}x{image.height}:"
    else:
        header = f"{canonical_mode(image)}:{image.width}x{image.height}:"
    digest = hashlib.sha256(header.encode())
    # A band of rows at a time: the digest of the rows in order is that of the whole, and
    # a converted copy of a large scan would cost several times its decoded size.
    for top in range(0, image.height, _DIGEST_ROWS):
        band = image.crop((0, top, image.width, min(top + _DIGEST_ROWS, image.height)))
        if image.mode in HIGH_DEPTH:
            digest.update(np.asarray(band).astype("<f8" if kind == "F" else "<i8").tobytes())
        else:
            digest.update(canonical_pixels(band).tobytes())
    return digest.hexdigest()


def canonical_mode(image: Image.Image) -> str:
    """The mode canonical_pixels gives `image`, without converting it."""
    if image.mode in ("L", "RGB", "RGBA"):
        return image.mode
    return "RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB"


def canonical_pixels(image: Image.Image) -> Image.Image:
    mode = canonical_mode(image)
    return image if mode == image.mode else image.convert(mode)


def gray8(image: Image.Image) -> Image.Image:
    """8-bit grey for perceptual hashing; a 16-bit scan lands where its 8-bit copy does."""
    if image.mode not in HIGH_DEPTH:
        return image.convert("L")
    values = np.asarray(image).astype(np.float64)
    # A float scan's NaN (no reading) and infinities must not set the scale: an infinite
    # maximum would turn every finite pixel black.
    finite = np.isfinite(values)
    top = float(values[finite].max()) if finite.any() else 0.0
    if image.mode == "F" and top <= 1.0:
        values = values * 255.0
    elif top > 255.0:
        values = values / 257.0  # 65535 -> 255
    values = np.nan_to_num(values, nan=0.0, posinf=255.0, neginf=0.0)
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8), mode="L")


def fingerprint(image: Image.Image) -> Fingerprints:
    # imagehash reduces to 32x32 (pHash) and 9x8 (dHash) first; reducing once and
    # mirroring the small images gives the same bits (Lanczos is symmetric; the
    # tests check it) at half the cost of hashing a mirrored full-size copy.
    gray = gray8(image)
    small = gray.resize((PHASH_SIDE, PHASH_SIDE), Image.Resampling.LANCZOS)
    tiny = gray.resize((DHASH_SIDE + 1, DHASH_SIDE), Image.Resampling.LANCZOS)
    hashes = []
    for orientation in Orientation:
        flip = ImageOps.mirror if orientation is Orientation.MIRRORED else _same
        hashes.append(
            PerceptualHash(HashKind.PHASH, orientation, _to_int(imagehash.phash(flip(small))))
        )
        hashes.append(
            PerceptualHash(HashKind.DHASH, orientation, _to_int(imagehash.dhash(flip(tiny))))
        )
    return Fingerprints(pixel_sha256=pixel_sha256(image), hashes=tuple(hashes))


def _same(image: Image.Image) -> Image.Image:
    return image


def _to_int(h: imagehash.ImageHash) -> int:
    bits = np.asarray(h.hash, dtype=np.uint8).flatten()
    return signed64(int("".join("1" if b else "0" for b in bits), 2))


def signed64(unsigned: int) -> int:
    """A 64-bit hash as stored: signed, so that every database takes it as BIGINT."""
    if not 0 <= unsigned <= _MASK:
        raise ValueError(f"{unsigned} is not an unsigned 64-bit value")
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def unsigned64(signed: int) -> int:
    """A stored (signed) 64-bit hash as the unsigned number its hex form spells."""
    if not -(1 << 63) <= signed < 1 << 63:
        raise ValueError(f"{signed} is not a signed 64-bit value")
    return signed & _MASK


def hash_codes(values: np.ndarray | Sequence[int]) -> np.ndarray:
    """Stored (signed) hashes as faiss binary codes: one row of 8 bytes per hash.

    Big-endian keeps the bit order of the hash's hex form, so a code's first byte is
    the hash's first two hex digits."""
    flat = np.asarray(values, dtype=np.int64).reshape(-1)
    return flat.astype(">i8").view(np.uint8).reshape(-1, 8)


def is_flat_hash(value: int) -> bool:
    """A 64-bit hash with at most FLAT_MAX_BITS bits set, or at most that many unset: too
    little in it to match on (also what a training manifest may claim as an item's pHash)."""
    return _information(value) <= FLAT_MAX_BITS


def flat_hashes(values: np.ndarray | Sequence[int]) -> np.ndarray:
    """`is_flat_hash` of many stored hashes at once, as a boolean array."""
    ones = np.unpackbits(hash_codes(values), axis=1).sum(axis=1)
    flat: np.ndarray = np.minimum(ones, 64 - ones) <= FLAT_MAX_BITS
    return flat


def _information(value: int) -> int:
    ones = (value & _MASK).bit_count()
    return min(ones, 64 - ones)


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK).bit_count()


def hash_hex(value: int) -> str:
    """A stored (signed) 64-bit hash in imagehash's hex form."""
    return f"{value & _MASK:016x}"
