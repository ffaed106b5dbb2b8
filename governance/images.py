"""Turning uploaded bytes into a decoded image, or a clear 4xx error saying why not."""

import io
import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from governance.errors import (
    CorruptImage,
    FileTooLarge,
    ImageTooLarge,
    NotAnImage,
    UnsupportedImageFormat,
)
from governance.settings import Settings
from labeling.xmp import xmp_packet
from rights.fingerprints import HIGH_DEPTH, gray8, pixel_sha256

# The formats C2PA can carry a manifest in and that the pipeline writes back.
SUPPORTED_FORMATS = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
}


# Modes whose pixels the fingerprints read (grey, colour, palette, CMYK, 16-bit, float);
# others, such as LAB or HSV, Pillow cannot convert to RGB.
ACCEPTED_MODES = {
    "1",
    "L",
    "LA",
    "La",
    "P",
    "PA",
    "RGB",
    "RGBA",
    "RGBa",
    "RGBX",
    "CMYK",
    "YCbCr",
    "I",
    "I;16",
    "I;16B",
    "I;16L",
    "I;16N",
    "F",
}


# Modes Image.reduce cannot average (palette indices, bits, 16-bit): converted a band at
# a time to the mode their pixels are read in.
_REDUCE_AS = {"1": "L", "I;16": "I", "I;16B": "I", "I;16L": "I", "I;16N": "I"}
_ORIENTATION = 0x0112
# ImageOps.exif_transpose's table, applied to the reduced copy instead of the file.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_BAND_BLOCKS = 64  # reduced rows made per band: a few MB of the file's pixels at a time


@dataclass(frozen=True)
class DecodedImage:
    # EXIF orientation applied, pixels loaded; from decode_for_analysis, a reduced copy.
    image: Image.Image
    media_type: str
    data: bytes
    xmp: str | None
    # The file's upright size, which `image` keeps only when it was not reduced.
    width: int
    height: int
    # Of the file's full upright pixels, where decode_for_analysis was asked for it.
    pixel_sha256: str | None = None
    # Whether an EXIF orientation turned the file's pixels to stand `image` upright.
    turned: bool = False


def decode_image(data: bytes, settings: Settings) -> DecodedImage:
    """The file's pixels, all of them, upright (for what is stored or sent to a model)."""
    image, media_type = _open(data, settings)
    return _whole(image, media_type, data)


def _whole(image: Image.Image, media_type: str, data: bytes) -> DecodedImage:
    try:
        image.load()
        xmp = xmp_packet(image, data)
        turned = image.getexif().get(_ORIENTATION, 1) in _TRANSPOSE
        upright = ImageOps.exif_transpose(image)
    except Exception as exc:  # truncated or corrupt image data
        raise CorruptImage(f"the image data is truncated or corrupt: {exc}") from None
    return DecodedImage(
        upright, media_type, data, xmp, upright.width, upright.height, turned=turned
    )


def decode_for_analysis(
    data: bytes, settings: Settings, *, pixel_digest: bool = False
) -> DecodedImage:
    """The file as searches and verification read it: upright pixels of at most
    `settings.analysis_max_pixels`, averaged down by an integer factor from a larger file
    (which is then released), so that an upload's cost in memory and time is bounded.

    Watermark and fingerprints read a reduced copy as they read the file: detection
    averages the image down to about 512 px itself, the hashes to 32 px. An image within
    the bound is decoded exactly as decode_image does. `pixel_digest` also hashes the full
    pixels (exact matches of registered works), before they are released.
    """
    image, media_type = _open(data, settings)
    width, height = image.size
    limit = settings.analysis_max_pixels
    if width * height <= limit:
        decoded = _whole(image, media_type, data)
        return replace(decoded, pixel_sha256=pixel_sha256(decoded.image) if pixel_digest else None)
    factor = _factor(width, height, limit)
    if image.format == "JPEG" and not pixel_digest:
        # libjpeg scales by 1/2, 1/4 or 1/8 while decoding: the full size never exists.
        image.draft(None, (math.ceil(width / factor), math.ceil(height / factor)))
    try:
        image.load()
        xmp = xmp_packet(image, data)
        orientation = image.getexif().get(_ORIENTATION, 1)
        digest = pixel_sha256(_upright(image, orientation)) if pixel_digest else None
        small = _reduce(image, _factor(image.width, image.height, limit))
    except Exception as exc:  # truncated or corrupt image data
        raise CorruptImage(f"the image data is truncated or corrupt: {exc}") from None
    small.info = dict(image.info)  # its XMP, for the implicit labels
    del image  # the full decode goes now, before any analysis allocates
    small = _upright(small, orientation)
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return DecodedImage(small, media_type, data, xmp, width, height, digest)


def _open(data: bytes, settings: Settings) -> tuple[Image.Image, str]:
    if len(data) > settings.max_upload_bytes:
        raise FileTooLarge(
            f"the file has {len(data)} bytes; the limit is {settings.max_upload_bytes}"
        )
    if not data:
        raise NotAnImage("the file is empty")
    try:
        with warnings.catch_warnings():
            # Our own pixel limit below is the guard; Pillow's warning would be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageTooLarge("the image declares more pixels than the service accepts") from None
    except UnidentifiedImageError:
        raise NotAnImage("the file is not an image in any format the service knows") from None
    except Exception as exc:  # Pillow raises assorted errors on malformed headers
        raise CorruptImage(f"the image header cannot be read: {exc}") from None
    media_type = SUPPORTED_FORMATS.get(image.format or "")
    if media_type is None:
        raise UnsupportedImageFormat(
            f"{image.format} images are not accepted; use one of: "
            + ", ".join(sorted(SUPPORTED_FORMATS))
        )
    if image.mode not in ACCEPTED_MODES:
        raise UnsupportedImageFormat(
            f"images in the {image.mode} colour mode are not accepted; convert to RGB"
        )
    if getattr(image, "n_frames", 1) > 1:
        raise UnsupportedImageFormat("multi-frame (animated or multi-page) images are not accepted")
    if image.width * image.height > settings.max_image_pixels:
        raise ImageTooLarge(
            f"the image has {image.width}x{image.height} pixels; "
            f"the limit is {settings.max_image_pixels}"
        )
    return image, media_type


def encode_png(pixels: np.ndarray, level: int) -> bytes:
    """An 8-bit RGB array as PNG at zlib `level` (the deployment's output setting)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=level)
    return buffer.getvalue()


def _factor(width: int, height: int, limit: int) -> int:
    """The least integer factor that brings the image within `limit` pixels."""
    factor = max(1, math.isqrt(width * height // limit))
    while math.ceil(width / factor) * math.ceil(height / factor) > limit:
        factor += 1
    return factor


def _reduce(image: Image.Image, factor: int) -> Image.Image:
    """`image` averaged over factor x factor blocks, converting a band at a time where its
    mode cannot be averaged as it is, so no full-size copy is made."""
    if factor == 1:
        return image
    if image.mode in ("P", "PA"):
        has_alpha = image.mode == "PA" or "transparency" in image.info
        mode = "RGBA" if has_alpha else "RGB"
    else:
        mode = _REDUCE_AS.get(image.mode, image.mode)
    out = Image.new(mode, (math.ceil(image.width / factor), math.ceil(image.height / factor)))
    rows = factor * _BAND_BLOCKS
    for top in range(0, image.height, rows):
        band = image.crop((0, top, image.width, min(top + rows, image.height)))
        out.paste(band.convert(mode).reduce(factor), (0, top // factor))
    return out


def _upright(image: Image.Image, orientation: object) -> Image.Image:
    method = _TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    return image if method is None else image.transpose(method)


def rgb_image(image: Image.Image) -> Image.Image:
    """8-bit RGB of any accepted mode (16-bit and float greys scaled as the hashes read
    them)."""
    if image.mode in HIGH_DEPTH:
        image = gray8(image)
    return image if image.mode == "RGB" else image.convert("RGB")


def rgb_pixels(image: Image.Image) -> np.ndarray:
    """uint8 height x width x 3 of any accepted mode: what models, detectors and the
    matcher are given, read the same way by a call and, from its stored files, its report."""
    return np.asarray(rgb_image(image), dtype=np.uint8)


def damaged_pixels(mask: Image.Image) -> np.ndarray:
    """True where a restoration's mask is light: over half of its mode's range, whatever
    the depth."""
    if mask.mode == "F":
        return np.asarray(mask) > 0.5
    if mask.mode in HIGH_DEPTH:  # 16-bit masks, which Pillow may also open as "I"
        return np.asarray(mask) > 32767
    if "A" in mask.getbands() or "transparency" in mask.info:
        # A transparent pixel marks nothing, whatever colour hides under it.
        grey_alpha = np.asarray(mask.convert("LA"))
        return (grey_alpha[..., 0] > 127) & (grey_alpha[..., 1] > 127)
    return np.asarray(mask.convert("L")) > 127
