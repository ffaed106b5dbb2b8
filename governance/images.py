"""Turning uploaded bytes into a decoded image, or a clear 4xx error saying why not."""

import io
import warnings
from dataclasses import dataclass

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


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image  # EXIF orientation applied, pixels loaded
    media_type: str
    data: bytes
    xmp: str | None

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


def decode_image(data: bytes, settings: Settings) -> DecodedImage:
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
    try:
        image.load()
        xmp = xmp_packet(image, data)
        upright = ImageOps.exif_transpose(image)
    except Exception as exc:  # truncated or corrupt image data
        raise CorruptImage(f"the image data is truncated or corrupt: {exc}") from None
    return DecodedImage(image=upright, media_type=media_type, data=data, xmp=xmp)


def encode_png(pixels: np.ndarray, level: int) -> bytes:
    """An 8-bit RGB array as PNG at zlib `level` (the deployment's output setting)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=level)
    return buffer.getvalue()
