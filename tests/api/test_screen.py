"""`POST /v1/screen`: near-copies with their altered regions, who may see whose work, the
service's own outputs, and bad uploads refused with nothing kept."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from governance.settings import MB
from tests.support.helpers import auth, encode, np_image, photo, png_bytes, register
from tests.support.label_helpers import generated, generator, output_of, reencoded
from tests.support.service_fixture import Service, make_service

EDIT = (300, 120, 100, 100)  # x, y, width, height: about 4% of the astronaut


def screen(service: Service, data: bytes, key: str = "regulator") -> Any:
    return service.client.post(
        "/v1/screen",
        headers=auth(service.keys[key]),
        files={"file": ("query.jpg", data, "application/octet-stream")},
    )


def altered_astronaut(scale: int = 1) -> bytes:
    """The astronaut with a patch of another photograph pasted in, as a JPEG."""
    pixels = np.asarray(photo("astronaut").convert("RGB")).copy()
    x, y, w, h = EDIT
    pixels[y : y + h, x : x + w] = np.asarray(photo("coffee").convert("RGB"))[
        50 : 50 + h, 60 : 60 + w
    ]
    image = Image.fromarray(pixels)
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.BICUBIC)
    return encode(image, "JPEG", quality=90)


def overlap(region: dict[str, Any], box: tuple[int, int, int, int]) -> float:
    """Intersection over union of a region and an x, y, width, height box."""
    x, y, w, h = box
    ix = max(0, min(region["x"] + region["width"], x + w) - max(region["x"], x))
    iy = max(0, min(region["y"] + region["height"], y + h) - max(region["y"], y))
    inter = ix * iy
    return float(inter / (region["width"] * region["height"] + w * h - inter))


def _work(service: Service, **meta: Any) -> int:
    response = register(service.client, service.keys["alice"], png_bytes("astronaut"), **meta)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_an_altered_copy_of_a_work_is_found_with_the_region_that_was_changed(
    service: Service,
) -> None:
    work_id = _work(service, title="Astronaut")
    response = screen(service, altered_astronaut())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["schema_version"] == 2 and body["versions"]["nearcopy_matcher"] >= 2
    best = body["near_copies"][0]
    assert best["work_id"] == work_id and best["band"] == "match"
    assert best["altered"] is True and 0 < best["altered_fraction"] < 0.2
    assert max(overlap(r, EDIT) for r in best["altered_regions"]) >= 0.3
    assert best["transform"]["mirrored"] is False
    assert body["service_output"] is None
    assert body["file"]["width"] == 512 and body["versions"]["alterations"]
    assert body["synthetic"]["verdict"] == "no_detector"


def test_an_unaltered_copy_is_not_called_altered(service: Service) -> None:
    work_id = _work(service)
    response = screen(service, encode(photo("astronaut"), "JPEG", quality=70))
    assert response.status_code == 200, response.text
    best = response.json()["near_copies"][0]
    assert best["work_id"] == work_id and best["altered"] is False
    assert best["altered_regions"] == []


def test_regions_of_a_large_file_are_in_its_own_pixels(database_url: str, tmp_path: Path) -> None:
    # Files over the analysis bound are screened on a reduced copy; the answer is not.
    service = make_service(
        database_url, tmp_path / "data", analysis_max_pixels=512 * 512, max_upload_bytes=8 * MB
    )
    try:
        work_id = _work(service)
        body = screen(service, altered_astronaut(scale=2)).json()
    finally:
        service.app.state.services.engine.dispose()
    assert body["file"]["width"] == 1024 and body["file"]["analysed_width"] == 512
    best = body["near_copies"][0]
    assert best["work_id"] == work_id
    x, y, w, h = EDIT
    assert max(overlap(r, (2 * x, 2 * y, 2 * w, 2 * h)) for r in best["altered_regions"]) >= 0.3
    assert best["transform"]["scale"] == pytest.approx(2.0, rel=0.1)
    assert best["transform"]["work_in_query"]["width"] == pytest.approx(1024, rel=0.05)


@pytest.mark.parametrize(
    ("key", "sees"),
    [
        ("alice", True),  # the work's own holder
        ("bob", False),  # another holder: the match, not who the work is
        ("auditor", True),
        ("admin", True),
        ("regulator", False),
        ("operator", False),
    ],
)
def test_who_the_work_is_only_for_keys_that_may_read_it(
    service: Service, key: str, sees: bool
) -> None:
    work_id = _work(service, title="First Light", creator="A. Photographer")
    response = screen(service, encode(photo("astronaut"), "JPEG", quality=80), key)
    assert response.status_code == 200, response.text
    best = response.json()["near_copies"][0]
    assert best["work_id"] == work_id and best["score"] > 0.5  # the match itself: anyone
    if sees:
        assert best["work"]["title"] == "First Light"
        assert best["work"]["holder"] == "alice"
    else:
        assert best["work"] is None
        assert "First Light" not in response.text


def test_an_output_of_this_service_is_named_by_its_manifest_then_its_watermark(
    service: Service,
) -> None:
    call = generated(service, generator(service))
    data = output_of(service, call)
    signed = screen(service, data).json()["service_output"]
    assert signed["found_by"] == "manifest" and signed["call_id"] == call["id"]
    assert signed["identical_to_output"] is True
    stripped = screen(service, reencoded(data, "JPEG", quality=90)).json()["service_output"]
    assert stripped["found_by"] == "watermark" and stripped["call_id"] == call["id"]
    assert stripped["identical_to_output"] is False
    # A photograph the service never made is none of its outputs.
    assert screen(service, encode(np_image(3, 128))).json()["service_output"] is None


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 415, "NotAnImage"),
        (b"plain text, not a picture", 415, "NotAnImage"),
        (png_bytes("camera")[:400], 422, "CorruptImage"),
        (encode(photo("camera"), "GIF"), 415, "UnsupportedImageFormat"),
    ],
)
def test_bad_uploads_are_4xx_and_keep_nothing(
    service: Service, data: bytes, status: int, code: str
) -> None:
    before = service.stored()
    response = screen(service, data)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert service.stored() == before


def test_no_key_no_file_or_two_files_are_refused(service: Service) -> None:
    data = encode(np_image(1, 96))
    files = {"file": ("a.png", data, "image/png")}
    assert service.client.post("/v1/screen", files=files).status_code == 401
    missing = service.client.post("/v1/screen", headers=auth(service.keys["operator"]))
    assert missing.status_code == 422
    two = service.client.post(
        "/v1/screen",
        headers=auth(service.keys["operator"]),
        files=[("file", ("a.png", data, "image/png")), ("file", ("b.png", data, "image/png"))],
    )
    assert two.status_code == 422


def test_the_openapi_document_declares_the_errors(service: Service) -> None:
    operation = service.client.get("/openapi.json").json()["paths"]["/v1/screen"]["post"]
    assert {"200", "401", "403", "413", "415", "422"} <= set(operation["responses"])


def test_a_flat_picture_matches_nothing(service: Service) -> None:
    _work(service)
    flat = encode(Image.new("RGB", (200, 200), (120, 30, 60)))
    body = screen(service, flat).json()
    assert body["near_copies"] == []
