"""A restoration of a turned, flipped, mirrored, cropped, bordered or inverted copy of a
work whose terms refuse restoration is refused, over HTTP, on each database."""

from collections.abc import Callable

import pytest
from PIL import Image, ImageOps

from tests.support.call_helpers import _mask, _model, restore
from tests.support.helpers import encode, photo, png_bytes, register
from tests.support.service_fixture import Service


def _crop(image: Image.Image, share: float) -> Image.Image:
    """`share` of each side cut away: 15% leaves the middle 70% of each dimension."""
    dx, dy = round(image.width * share), round(image.height * share)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "turned-90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "turned-180": lambda im: im.transpose(Image.Transpose.ROTATE_180),
    "flipped": lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    "mirrored": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "cropped-15%": lambda im: _crop(im, 0.15),
    "bordered-20px": lambda im: ImageOps.expand(im, border=20, fill=(0, 0, 0)),
    "inverted": ImageOps.invert,
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_a_copy_of_a_work_that_refuses_restoration_is_refused(service: Service, name: str) -> None:
    work = register(
        service.client,
        service.keys["bob"],
        png_bytes("astronaut"),
        terms={"restoration": "notAllowed"},
    ).json()
    model = _model(service)
    copy = COPIES[name](photo("astronaut"))
    response = restore(service, encode(copy, "JPEG", quality=90), _mask(*copy.size), model)
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["status"] == "blocked", name
    assert call["reasons"][0]["code"] == "input_rights"
    stage = next(s for s in call["stages"] if s["name"] == "input_rights")
    assert stage["outcome"] == "refused"
    match = stage["evidence"]["matches"][0]
    assert match["work_id"] == work["id"] and match["band"] == "match"
    assert match["terms"]["restoration"] == "notAllowed" and match["binds"]
    if match["method"] == "local_features":
        transform = match["transform"]
        assert transform["inverted"] == (name == "inverted")
        assert transform["mirrored"] == (name in ("flipped", "mirrored"))


def test_an_unrelated_picture_is_restored(service: Service) -> None:
    register(
        service.client,
        service.keys["bob"],
        png_bytes("astronaut"),
        terms={"restoration": "notAllowed"},
    )
    model = _model(service)
    other = photo("coffee")
    call = restore(service, png_bytes("coffee"), _mask(*other.size), model).json()
    assert call["status"] != "blocked", call["reasons"]
    stage = next(s for s in call["stages"] if s["name"] == "input_rights")
    assert stage["outcome"] == "passed" and stage["evidence"]["matches"] == []
