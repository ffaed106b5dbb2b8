"""Test images (from scikit-image's bundled photographs, never downloaded) and API helpers."""

import io
import json
import struct
import zlib
from functools import cache
from typing import Any

import numpy as np
import skimage.data
from fastapi.testclient import TestClient
from PIL import Image

PHOTOS = [
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "colorwheel",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "page",
    "retina",
    "rocket",
    "text",
]


@cache
def photo(name: str) -> Image.Image:
    pixels = getattr(skimage.data, name)()
    image = Image.fromarray(pixels)
    return image if image.mode in ("L", "RGB") else image.convert("RGB")


def encode(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


@cache
def png_bytes(name: str) -> bytes:
    # Encoded once per photograph: the bytes are the same every time, and encoding them
    # again for each of ~130 callers cost ~20 s of the suite.
    return encode(photo(name))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge size in its header: what a decompression bomb looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def work_metadata(**overrides: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "title": "A work",
        "creator": "A creator",
        "license": "CC-BY-4.0",
        "terms": {"ai_generative_training": "notAllowed"},
    }
    meta.update(overrides)
    return meta


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def register(
    client: TestClient,
    key: str,
    data: bytes,
    filename: str = "work.png",
    content_type: str = "image/png",
    **meta: Any,
) -> Any:
    return client.post(
        "/v1/works",
        headers=auth(key),
        files={"file": (filename, data, content_type)},
        data={"metadata": json.dumps(work_metadata(**meta))},
    )


def match(client: TestClient, key: str, data: bytes) -> Any:
    return client.post(
        "/v1/works/match",
        headers=auth(key),
        files={"file": ("query.png", data, "application/octet-stream")},
    )


def np_image(seed: int, size: int = 64) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray((rng.random((size, size, 3)) * 255).astype("uint8"))
