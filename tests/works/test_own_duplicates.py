"""One holder, one picture: another encoding of one's own work answers 409 naming it."""

import io
import threading

import numpy as np
import pytest
from PIL import Image, ImageOps

from governance.auth.service import authenticate
from governance.db import unit_of_work
from governance.errors import DuplicateWork
from governance.works.schemas import WorkMetadata
from governance.works.service import register_work
from tests.support.helpers import encode, photo, png_bytes, register, work_metadata
from tests.support.service_fixture import Service


def _sixteen_bit(image: Image.Image) -> bytes:
    grey = np.asarray(image.convert("L"), dtype=np.uint16) * 257
    return encode(Image.fromarray(grey))


def _with_alpha(image: Image.Image) -> bytes:
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.new("L", image.size, 255))
    return encode(rgba)


def _exif_rotated(image: Image.Image) -> bytes:
    """Stored on its side with EXIF orientation 6 ("turn 90 degrees clockwise to view")."""
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.transpose(Image.Transpose.ROTATE_90).save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


ENCODINGS = {
    "webp-lossy": lambda im: encode(im, "WEBP", quality=80),
    "cmyk-jpeg": lambda im: encode(im.convert("CMYK"), "JPEG", quality=90),
    "16-bit-png": _sixteen_bit,
    "palette-png": lambda im: encode(im.convert("P", palette=Image.Palette.ADAPTIVE)),
    "alpha-png": _with_alpha,
    "exif-rotated-jpeg": _exif_rotated,
    "half-size-jpeg": lambda im: encode(im.resize((256, 256)), "JPEG", quality=75),
    "mirrored-png": lambda im: encode(ImageOps.mirror(im)),
}


def test_the_encodings_are_what_they_claim() -> None:
    original = photo("astronaut")
    modes = {name: Image.open(io.BytesIO(make(original))) for name, make in ENCODINGS.items()}
    assert modes["cmyk-jpeg"].mode == "CMYK"
    assert modes["16-bit-png"].mode.startswith("I")
    assert modes["palette-png"].mode == "P"
    assert modes["alpha-png"].mode == "RGBA"
    rotated = modes["exif-rotated-jpeg"]
    assert rotated.getexif()[0x0112] == 6
    assert rotated.size == (original.height, original.width)
    upright = ImageOps.exif_transpose(rotated)
    assert np.abs(np.asarray(upright, float) - np.asarray(original, float)).mean() < 5


@pytest.mark.parametrize("name", sorted(ENCODINGS))
def test_another_encoding_of_ones_own_work_is_a_duplicate(service: Service, name: str) -> None:
    first = register(service.client, service.keys["alice"], png_bytes("astronaut"))
    assert first.status_code == 201, first.text
    work_id = first.json()["id"]
    before = service.stored()
    response = register(service.client, service.keys["alice"], ENCODINGS[name](photo("astronaut")))
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["error"] == "DuplicateWork"
    assert f"work {work_id}," in body["detail"] and "another encoding" in body["detail"]
    assert service.stored() == before


def test_duplicates_are_caught_whichever_encoding_came_first(service: Service) -> None:
    alice = service.keys["alice"]
    cmyk_jpeg = encode(photo("coffee").convert("CMYK"), "JPEG")
    first = register(service.client, alice, cmyk_jpeg)
    assert first.status_code == 201, first.text
    work_id = first.json()["id"]
    again = register(service.client, alice, png_bytes("coffee"))
    assert again.status_code == 409 and f"work {work_id}," in again.json()["detail"]
    # The very pixels, in another container, keep their own sentence.
    same = register(service.client, alice, encode(Image.open(io.BytesIO(cmyk_jpeg)), "TIFF"))
    assert same.status_code == 409, same.text
    assert same.json()["detail"] == f"These pixels are already registered as work {work_id}."


def test_other_pictures_and_other_holders_are_left_alone(service: Service) -> None:
    alice, bob = service.keys["alice"], service.keys["bob"]
    ids = []
    for name in ("astronaut", "camera", "coffee", "chelsea"):
        response = register(service.client, alice, png_bytes(name))
        assert response.status_code == 201, (name, response.text)
        ids.append(response.json()["id"])
    # Across holders a perceptual match is not a duplicate (the same pixels still are).
    webp = encode(photo("astronaut"), "WEBP", quality=80)
    response = register(service.client, bob, webp)
    assert response.status_code == 201, response.text
    bobs = response.json()["id"]
    # Bob's own second encoding is a duplicate of Bob's work, not of Alice's.
    again = register(service.client, bob, encode(photo("astronaut"), "JPEG", quality=85))
    assert again.status_code == 409 and f"work {bobs}," in again.json()["detail"]
    exact = register(service.client, bob, png_bytes("camera"))
    assert exact.status_code == 409 and f"work {ids[1]}." in exact.json()["detail"]


def test_two_encodings_registered_at_once_make_one_work(service: Service) -> None:
    services = service.app.state.services
    outcomes: list[str] = []

    def register_one(data: bytes) -> None:
        try:
            with unit_of_work(services.engine) as session:
                alice = authenticate(session, f"Bearer {service.keys['alice']}")
                metadata = WorkMetadata.model_validate(work_metadata())
                register_work(session, services, alice, data, metadata)
            outcomes.append("registered")
        except DuplicateWork:
            outcomes.append("duplicate")

    encodings = [
        encode(photo("chelsea"), "WEBP", quality=80),
        encode(photo("chelsea"), "JPEG", quality=85),
        encode(photo("chelsea").convert("CMYK"), "JPEG", quality=90),
    ]
    threads = [threading.Thread(target=register_one, args=(d,)) for d in encodings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["duplicate", "duplicate", "registered"]
    assert service.stored()[0] == 1
