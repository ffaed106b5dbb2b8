"""Making labelled outputs and damaging them the ways files get damaged in the wild."""

import io
from typing import Any

import numpy as np
from PIL import Image

from labeling.containers import PNG_SIGNATURE, png_chunk, png_chunks
from tests.support.helpers import auth
from tests.support.model_helpers import manifest, register_model, unrelated_item
from tests.support.service_fixture import Service

PHOTO_GENERATOR = "python:tests.support.fake_models:photo_generate"


def generator(service: Service, name: str = "photo-generator") -> int:
    response = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(1)),
        name=name,
        kind="generation",
        adapter=PHOTO_GENERATOR,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def generated(service: Service, model: int, size: int = 256, **extra: Any) -> dict[str, Any]:
    body = {"model": model, "prompt": "a portrait", "seed": 0, "width": size, "height": size}
    response = service.client.post(
        "/v1/generations", headers=auth(service.keys["operator"]), json={**body, **extra}
    )
    assert response.status_code == 201, response.text
    call: dict[str, Any] = response.json()
    assert call["status"] == "released", call
    return call


def output_of(service: Service, call: dict[str, Any]) -> bytes:
    fetched = service.client.get(call["output_url"], headers=auth(service.keys["auditor"]))
    assert fetched.status_code == 200, fetched.text
    return fetched.content


def verify(service: Service, data: bytes, name: str = "file.png") -> Any:
    return service.client.post(
        "/v1/verify",
        headers=auth(service.keys["regulator"]),
        files={"file": (name, data, "application/octet-stream")},
    )


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    return [(kind, png[start + 8 : end - 4]) for kind, start, end in png_chunks(png)]


def build(parts: list[tuple[bytes, bytes]]) -> bytes:
    return PNG_SIGNATURE + b"".join(png_chunk(kind, body) for kind, body in parts)


def without(png: bytes, *kinds: bytes) -> bytes:
    """The same file less some chunks: `caBX` is the C2PA manifest, `iTXt` the XMP."""
    return build([(k, b) for k, b in chunks(png) if k not in kinds])


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def reencoded(data: bytes, fmt: str = "PNG", **options: Any) -> bytes:
    """Pixels only, saved anew: every label in the metadata is gone."""
    buffer = io.BytesIO()
    Image.fromarray(pixels(data)).save(buffer, fmt, **options)
    return buffer.getvalue()


def with_pixels_altered(png: bytes) -> bytes:
    """New pixels under the original manifest: a forgery that keeps the credentials."""
    changed = pixels(png).copy()
    changed[10:40, 10:40] = 255 - changed[10:40, 10:40]
    fresh = chunks(reencoded_array(changed))
    manifest_chunks = [(k, b) for k, b in chunks(png) if k in (b"caBX", b"iTXt")]
    return build([fresh[0], *manifest_chunks, *fresh[1:]])


def reencoded_array(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def with_manifest_corrupted(png: bytes) -> bytes:
    parts = chunks(png)
    broken = []
    for kind, body in parts:
        if kind == b"caBX":
            middle = len(body) // 2
            body = body[:middle] + bytes(64) + body[middle + 64 :]
        broken.append((kind, body))
    return build(broken)
