"""Where a work was seen: the screens and governed calls that found near copies of it,
kept in `work_sightings` and read through `GET /v1/works/{id}/sightings` as the work is."""

import hashlib
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import Session, select

from governance.works.models import WorkSighting
from governance.works.nearcopy_schemas import BoxOut, RegionOut, TransformOut
from governance.works.sightings import in_work
from tests.support.helpers import auth, encode, np_image, photo, png_bytes, register
from tests.support.label_helpers import generator, output_of
from tests.support.service_fixture import Service

EDIT = (300, 120, 100, 100)  # x, y, width, height on the 512 px astronaut


def _altered_astronaut() -> bytes:
    pixels = np.asarray(photo("astronaut").convert("RGB")).copy()
    x, y, w, h = EDIT
    pixels[y : y + h, x : x + w] = np.asarray(photo("coffee").convert("RGB"))[
        50 : 50 + h, 60 : 60 + w
    ]
    return encode(Image.fromarray(pixels), "JPEG", quality=90)


def _screen(service: Service, data: bytes, key: str = "regulator") -> Any:
    response = service.client.post(
        "/v1/screen",
        headers=auth(service.keys[key]),
        files={"file": ("query.jpg", data, "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    return response.json()


def _sightings(service: Service, work_id: int, key: str = "alice", **query: int) -> Any:
    return service.client.get(
        f"/v1/works/{work_id}/sightings", headers=auth(service.keys[key]), params=query
    )


def _work(service: Service, data: bytes, **meta: Any) -> int:
    response = register(service.client, service.keys["alice"], data, **meta)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _rows(service: Service) -> int:
    with Session(service.app.state.services.engine) as session:
        return int(session.exec(select(func.count()).select_from(WorkSighting)).one())


def _inside(inner: BoxOut, box: tuple[int, int, int, int], slack: float) -> bool:
    x, y, w, h = box
    return (
        inner.x >= x - slack
        and inner.y >= y - slack
        and inner.x + inner.width <= x + w + slack
        and inner.y + inner.height <= y + h + slack
    )


def test_a_screened_altered_copy_is_a_sighting_its_holder_reads_with_the_region(
    service: Service,
) -> None:
    work_id = _work(service, png_bytes("astronaut"), title="Astronaut")
    query = _altered_astronaut()
    screened = _screen(service, query)
    assert screened["near_copies"][0]["work_id"] == work_id
    response = _sightings(service, work_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 1 and body["work_id"] == work_id
    (seen,) = body["items"]
    assert seen["source"] == "screen" and seen["call_id"] is None
    assert seen["file_sha256"] == hashlib.sha256(query).hexdigest()
    assert seen["altered"] is True and 0 < seen["altered_fraction"] < 0.2
    assert seen["band"] == "match" and seen["score"] > 0.5
    assert seen["altered_regions"] == screened["near_copies"][0]["altered_regions"]
    # The copy is the work itself, unturned: the regions land where the edit was made.
    matched = BoxOut.model_validate(seen["matched_in_work"])
    assert (matched.width, matched.height) == pytest.approx((512, 512), abs=2)
    assert seen["altered_in_work"]
    largest = max(
        (BoxOut.model_validate(b) for b in seen["altered_in_work"]),
        key=lambda b: b.width * b.height,
    )
    assert _inside(largest, EDIT, slack=12)


def test_a_screen_that_finds_no_work_writes_nothing(service: Service) -> None:
    work_id = _work(service, png_bytes("astronaut"))
    assert _screen(service, encode(np_image(5, 160)))["near_copies"] == []
    assert _rows(service) == 0
    assert _sightings(service, work_id).json() == {
        "work_id": work_id,
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


@pytest.mark.parametrize(
    ("key", "status", "code"),
    [
        ("bob", 403, "NotWorkOwner"),
        ("regulator", 403, "Forbidden"),
        ("operator", 403, "Forbidden"),
        ("auditor", 200, None),
        ("admin", 200, None),
    ],
)
def test_sightings_are_read_as_the_work_is(
    service: Service, key: str, status: int, code: str | None
) -> None:
    work_id = _work(service, png_bytes("astronaut"))
    _screen(service, encode(photo("astronaut"), "JPEG", quality=80), key="bob")
    response = _sightings(service, work_id, key)
    assert response.status_code == status, response.text
    if code is None:
        assert response.json()["total"] == 1
    else:
        assert response.json()["error"] == code
    assert _sightings(service, 999_999, "admin").status_code == 404


def test_pages_of_sightings_newest_first(service: Service) -> None:
    work_id = _work(service, png_bytes("astronaut"))
    hashes = []
    for quality in (60, 75, 90):
        data = encode(photo("astronaut"), "JPEG", quality=quality)
        hashes.append(hashlib.sha256(data).hexdigest())
        _screen(service, data)
    first = _sightings(service, work_id, limit=2).json()
    assert first["total"] == 3 and len(first["items"]) == 2
    assert [s["file_sha256"] for s in first["items"]] == hashes[:0:-1]
    rest = _sightings(service, work_id, limit=2, offset=2).json()
    assert [s["file_sha256"] for s in rest["items"]] == hashes[:1]


def test_a_generation_that_copies_a_work_is_a_sighting_naming_the_call(service: Service) -> None:
    model = generator(service)
    body = {"model": model, "prompt": "a quiet portrait", "seed": 0, "width": 256, "height": 256}
    operator = auth(service.keys["operator"])
    first = service.client.post("/v1/generations", headers=operator, json=body).json()
    assert first["status"] == "released"
    assert _rows(service) == 0  # no work registered yet: nothing to see
    work_id = _work(service, output_of(service, first), title="Quiet Harbour")
    again = service.client.post("/v1/generations", headers=operator, json=body).json()
    assert again["status"] == "blocked"  # the same picture, and the work forbids it
    (seen,) = _sightings(service, work_id).json()["items"]
    assert seen["source"] == "call" and seen["call_id"] == again["id"]
    assert seen["file_sha256"] is None and seen["band"] == "match"
    assert seen["matched_in_work"] is not None


def _turned(rotation: float, mirrored: bool) -> TransformOut:
    whole = BoxOut(x=0, y=0, width=100, height=50)
    return TransformOut(
        rotation_degrees=rotation,
        scale=1.0,
        mirrored=mirrored,
        inverted=False,
        query_in_work=whole,
        work_in_query=whole,
        work_fraction=1.0,
        query_fraction=1.0,
    )


@pytest.mark.parametrize(
    ("rotation", "mirrored", "expected"),
    [
        (0.0, False, (10, 10, 20, 10)),
        (0.0, True, (70, 10, 20, 10)),  # mirrored left-right
        (180.0, False, (70, 30, 20, 10)),  # turned half way round
    ],
)
def test_a_region_of_the_copy_is_mapped_into_the_works_pixels(
    rotation: float, mirrored: bool, expected: tuple[int, int, int, int]
) -> None:
    region = RegionOut(x=10, y=10, width=20, height=10, score=0.5)
    box = in_work(_turned(rotation, mirrored), region, (100, 50))
    assert box is not None
    assert (box.x, box.y, box.width, box.height) == pytest.approx(expected, abs=1e-6)


def test_a_region_outside_the_work_maps_to_nothing() -> None:
    region = RegionOut(x=200, y=200, width=10, height=10, score=0.5)
    assert in_work(_turned(0.0, False), region, (100, 50)) is None
