"""Watermark: round trips, imperceptibility, robustness, false positives, bad input."""

import io
import re

import numpy as np
import pytest
import skimage.data
from PIL import Image

from labeling.watermark import (
    PAYLOAD_BITS,
    WATERMARK_ALG,
    Detection,
    detect,
    embed,
    new_watermark_id,
    psnr,
)

PHOTOS = ("astronaut", "coffee", "chelsea", "camera")
# Every bundled photograph that loads without the network and is at least 64 px.
UNMARKED = (
    *PHOTOS,
    "rocket",
    "hubble_deep_field",
    "retina",
    "immunohistochemistry",
    "moon",
    "brick",
    "grass",
    "gravel",
    "cat",
    "colorwheel",
    "coins",
    "clock",
    "cell",
    "page",
    "text",
    "logo",
)


def photo(name: str) -> np.ndarray:
    return np.asarray(Image.fromarray(getattr(skimage.data, name)()).convert("RGB"))


def ids(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [rng.bytes(PAYLOAD_BITS // 8).hex() for _ in range(count)]


@pytest.fixture(scope="module")
def marked() -> dict[str, tuple[np.ndarray, np.ndarray, str]]:
    """Photograph -> (original, marked, id)."""
    out = {}
    for name, watermark_id in zip(PHOTOS, ids(len(PHOTOS), seed=1), strict=True):
        original = photo(name)
        out[name] = (original, embed(original, watermark_id), watermark_id)
    return out


def jpeg(rgb: np.ndarray, quality: int | None = None) -> np.ndarray:
    buffer = io.BytesIO()
    options = {} if quality is None else {"quality": quality}
    Image.fromarray(rgb).save(buffer, "JPEG", **options)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def resized(rgb: np.ndarray, factor: float, method: Image.Resampling) -> np.ndarray:
    image = Image.fromarray(rgb)
    return np.asarray(
        image.resize((round(image.width * factor), round(image.height * factor)), method)
    )


def centre_crop(rgb: np.ndarray, fraction: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    dy, dx = round(h * fraction), round(w * fraction)
    return rgb[dy // 2 : h - (dy - dy // 2), dx // 2 : w - (dx - dx // 2)]


def test_constants_and_new_ids() -> None:
    assert WATERMARK_ALG == "org.provenance-governance.watermark.qim.1"
    assert PAYLOAD_BITS == 48
    made = {new_watermark_id() for _ in range(100)}
    assert len(made) == 100
    assert all(re.fullmatch(r"[0-9a-f]{12}", value) for value in made)


@pytest.mark.parametrize("name", PHOTOS)
def test_round_trip(marked, name) -> None:
    original, image, watermark_id = marked[name]
    assert image.dtype == np.uint8 and image.shape == original.shape
    assert not np.array_equal(image, original)
    found = detect(image)
    assert isinstance(found, Detection)
    assert found.watermark_id == watermark_id
    assert found.transform == "none"
    assert found.confidence > 0.9


def test_embed_is_deterministic_and_leaves_its_input_alone() -> None:
    original = photo("chelsea")
    before = original.copy()
    first, second = embed(original, "0123456789ab"), embed(original, "0123456789ab")
    assert np.array_equal(original, before)
    assert np.array_equal(first, second)


@pytest.mark.parametrize("name", PHOTOS)
def test_imperceptible(marked, name) -> None:
    original, image, _ = marked[name]
    assert psnr(original, image) >= 40.0


def test_psnr() -> None:
    a = np.zeros((8, 8, 3), np.uint8)
    assert psnr(a, a) == float("inf")
    assert psnr(a, a + 1) == pytest.approx(10 * np.log10(255.0**2))
    with pytest.raises(ValueError):
        psnr(a, a[:4])


@pytest.mark.parametrize("quality", [90, 70, 50])
@pytest.mark.parametrize("name", PHOTOS)
def test_survives_jpeg(marked, name, quality) -> None:
    _, image, watermark_id = marked[name]
    found = detect(jpeg(image, quality))
    assert found is not None and found.watermark_id == watermark_id


@pytest.mark.parametrize("method", [Image.Resampling.LANCZOS, Image.Resampling.BILINEAR])
@pytest.mark.parametrize("factor", [0.75, 0.5])
@pytest.mark.parametrize("name", PHOTOS)
def test_survives_resize(marked, name, factor, method) -> None:
    _, image, watermark_id = marked[name]
    found = detect(resized(image, factor, method))
    assert found is not None and found.watermark_id == watermark_id


@pytest.mark.parametrize("name", PHOTOS)
def test_survives_centre_crop(marked, name) -> None:
    _, image, watermark_id = marked[name]
    found = detect(centre_crop(image, 0.1))
    assert found is not None and found.watermark_id == watermark_id
    assert found.transform == "crop 0.10 centre"


def test_survives_corner_crop_then_jpeg(marked) -> None:
    _, image, watermark_id = marked["astronaut"]
    h, w = image.shape[:2]
    found = detect(jpeg(image[round(h * 0.1) :, round(w * 0.1) :], 70))
    assert found is not None and found.watermark_id == watermark_id
    assert found.transform == "crop 0.10 bottom-right"


@pytest.mark.parametrize("name", PHOTOS)
def test_survives_png_to_jpeg(marked, name) -> None:
    _, image, watermark_id = marked[name]
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    png = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    found = detect(jpeg(png))
    assert found is not None and found.watermark_id == watermark_id


def test_survives_greyscale_conversion(marked) -> None:
    # Pillow's "L" is the same luma that the mark lives in.
    _, image, watermark_id = marked["coffee"]
    found = detect(np.asarray(Image.fromarray(image).convert("L")))
    assert found is not None and found.watermark_id == watermark_id


def test_survives_mirroring(marked) -> None:
    _, image, watermark_id = marked["chelsea"]
    found = detect(image[:, ::-1])
    assert found is not None and found.watermark_id == watermark_id
    assert found.transform == "mirrored"


@pytest.mark.parametrize("gain, offset", [(1.0, 15), (1.15, -10), (0.85, 20)])
def test_survives_brightness_and_contrast(marked, gain, offset) -> None:
    _, image, watermark_id = marked["astronaut"]
    edited = np.clip(image * gain + offset, 0, 255).round().astype(np.uint8)
    found = detect(jpeg(edited, 90))
    assert found is not None and found.watermark_id == watermark_id
    assert found.transform == "levels adjusted"


@pytest.mark.parametrize("name", UNMARKED)
def test_unmarked_photographs_give_none(name) -> None:
    image = photo(name)
    assert detect(image) is None
    assert detect(centre_crop(image, 0.1)) is None


def test_different_ids_are_not_confused() -> None:
    original = photo("astronaut")
    first, second = ids(2, seed=2)
    assert first != second
    one, other = embed(original, first), embed(original, second)
    assert detect(one).watermark_id == first
    assert detect(other).watermark_id == second
    # Re-marking re-quantises every cell: the new id replaces the old one.
    again = detect(embed(one, second))
    assert again is not None and again.watermark_id == second


@pytest.mark.parametrize(
    "bad", ["0123456789AB", "0123456789a", "0123456789abc", "0123456789ag", "", 123, None]
)
def test_bad_id_raises(bad) -> None:
    with pytest.raises(ValueError):
        embed(photo("camera"), bad)


@pytest.mark.parametrize("shape", [(63, 200, 3), (200, 63, 3), (10, 10, 3)])
def test_too_small_raises_and_reads_none(shape) -> None:
    image = np.full(shape, 128, np.uint8)
    with pytest.raises(ValueError, match="too small"):
        embed(image, "0123456789ab")
    assert detect(image) is None


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((128, 128), np.uint8),
        np.zeros((128, 128, 4), np.uint8),
        np.zeros((128, 128, 3), np.float32),
    ],
)
def test_embed_wants_rgb_uint8(image) -> None:
    with pytest.raises(ValueError):
        embed(image, "0123456789ab")


def test_detect_rejects_non_images() -> None:
    with pytest.raises(ValueError):
        detect(np.zeros((128, 128, 2), np.uint8))
    with pytest.raises(ValueError):
        detect(np.zeros(128, np.uint8))


@pytest.mark.parametrize("level", [3, 128, 250])
def test_flat_image_carries_the_mark(level) -> None:
    flat = np.full((256, 320, 3), level, np.uint8)
    assert detect(flat) is None
    image = embed(flat, "00ff00ff00ff")
    assert psnr(flat, image) >= 40.0
    found = detect(jpeg(image, 50))
    assert found is not None and found.watermark_id == "00ff00ff00ff"


@pytest.mark.parametrize("level", [0, 255])
def test_saturated_image_cannot_carry_the_mark(level) -> None:
    # Pure white or black cells are left alone (marking them would show), so an image
    # that is all white or all black has no room: embed refuses, detect finds nothing.
    image = np.full((256, 256, 3), level, np.uint8)
    with pytest.raises(ValueError, match="saturated"):
        embed(image, "0123456789ab")
    assert detect(image) is None


def test_partly_saturated_image_carries_the_mark() -> None:
    image = photo("coffee").copy()
    image[:, : image.shape[1] // 2] = 255
    marked = embed(image, "a1b2c3d4e5f6")
    assert np.all(marked[:, : image.shape[1] // 2 - 40] == 255)  # white stays white
    found = detect(jpeg(marked, 70))
    assert found is not None and found.watermark_id == "a1b2c3d4e5f6"
