"""pixel_sha256 hashes a band of rows at a time: the digest is still the whole image's."""

import hashlib

import numpy as np
import pytest
from PIL import Image

from rights.fingerprints import HIGH_DEPTH, canonical_pixels, pixel_sha256


def _whole_at_once(image: Image.Image) -> str:
    """The digest as it was computed before banding: one copy of all the pixels."""
    if image.mode in HIGH_DEPTH:
        kind = "F" if image.mode == "F" else "I"
        values = np.asarray(image).astype("<f8" if kind == "F" else "<i8")
        header, data = f"{kind}:{image.width}x{image.height}:", values.tobytes()
    else:
        canonical = canonical_pixels(image)
        header = f"{canonical.mode}:{canonical.width}x{canonical.height}:"
        data = canonical.tobytes()
    return hashlib.sha256(header.encode() + data).hexdigest()


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I", "F"])
@pytest.mark.parametrize("height", [1, 255, 256, 257, 700])
def test_banded_digest_equals_the_whole_images(mode: str, height: int) -> None:
    rng = np.random.default_rng(height)
    image = Image.fromarray(rng.integers(0, 256, (height, 33, 3), dtype=np.uint8))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(image.convert("L")).astype(np.uint16) * 257)
    else:
        image = image.convert(mode)
    assert pixel_sha256(image) == _whole_at_once(image)


def test_a_palette_image_with_transparency_is_hashed_with_its_alpha() -> None:
    image = Image.fromarray(np.arange(600 * 40, dtype=np.uint8).reshape(600, 40) % 7, "L")
    image = image.convert("P")
    image.info["transparency"] = 3
    assert pixel_sha256(image) == _whole_at_once(image)
    assert pixel_sha256(image) != pixel_sha256(image.convert("RGB"))
