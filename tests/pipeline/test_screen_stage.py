"""The screen stage in governed calls: a generation that copies a work is refused unless
the work allows generative use; a restoration that paints outside its mask is flagged
with the map; a clean built-in restoration is not."""

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from governance.screening.outside_mask import DILATION_PX
from governance.services import Services
from tests.support.call_helpers import _conservator, _model, restore
from tests.support.helpers import auth, encode, photo, register
from tests.support.label_helpers import generator, output_of
from tests.support.service_fixture import Service, make_service

FAR = (5, 60)  # x, y: far from the mask below
MASK = (20, 20, 40, 36)  # x0, y0, x1, y1
PAINTER = f"python:{__name__}:paints_far_from_the_mask"


def paints_far_from_the_mask(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Fills the mask with grey, and also whitens a few pixels far from it."""
    out = image.copy()
    out[mask] = 128
    x, y = FAR
    out[y : y + 2, x : x + 3] = np.where(image[y : y + 2, x : x + 3] > 127, 0, 255)
    return out


def _mask_png(size: int = 96) -> bytes:
    mask = np.zeros((size, size), dtype=np.uint8)
    x0, y0, x1, y1 = MASK
    mask[y0:y1, x0:x1] = 255
    return encode(Image.fromarray(mask))


def _photo_png(size: int = 96) -> bytes:
    return encode(photo("chelsea").convert("RGB").resize((size, size)))


def _stage(call: dict[str, Any]) -> dict[str, Any]:
    (screen,) = [s for s in call["stages"] if s["name"] == "screen"]
    return dict(screen)


def _generate(service: Service, model: int) -> Any:
    body = {"model": model, "prompt": "a quiet portrait", "seed": 0, "width": 256, "height": 256}
    return service.client.post("/v1/generations", headers=auth(service.keys["operator"]), json=body)


def _generated_then_registered(service: Service, generative: str) -> tuple[int, int]:
    """A generation's output registered by alice as her work, with this term."""
    model = generator(service)
    first = _generate(service, model)
    assert first.status_code == 201 and first.json()["status"] == "released", first.text
    data = output_of(service, first.json())
    terms = {"ai_generative_training": generative}
    work = register(
        service.client,
        service.keys["alice"],
        data,
        title="Quiet Harbour",
        creator="N. N.",
        terms=terms,
    )
    assert work.status_code == 201, work.text
    return model, int(work.json()["id"])


def test_a_generation_that_copies_a_work_is_refused_and_keeps_nothing(service: Service) -> None:
    model, work_id = _generated_then_registered(service, "notAllowed")
    files_before = service.stored()[3]
    again = _generate(service, model)  # the same prompt and seed: the same picture
    assert again.status_code == 201, again.text
    call = again.json()
    assert call["status"] == "blocked"
    assert [r["code"] for r in call["reasons"]] == ["output_copies_work"]
    assert f"work {work_id}" in call["reasons"][0]["detail"]
    assert [s["name"] for s in call["stages"]][-1] == "screen"  # no label, no store
    screen = _stage(call)
    assert screen["outcome"] == "refused"
    (copied,) = [c for c in screen["evidence"]["near_copies"] if c["work_id"] == work_id]
    assert copied["band"] == "match" and copied["decision"] == "refused"
    assert copied["terms"]["ai_generative_training"] == "notAllowed"
    assert copied["transform"] is not None or copied["method"] == "exact"
    assert screen["evidence"]["versions"]["nearcopy_record_format"] >= 1
    assert screen["evidence"]["synthetic"]["verdict"] == "no_detector"
    assert screen["evidence"]["outside_mask"] is None
    fetched = service.client.get(
        f"/v1/calls/{call['id']}/output", headers=auth(service.keys["admin"])
    )
    assert fetched.status_code == 404
    assert service.stored()[3] == files_before  # no output file kept


def test_the_same_copy_is_released_when_the_work_allows_generative_use(service: Service) -> None:
    model, work_id = _generated_then_registered(service, "allowed")
    call = _generate(service, model).json()
    assert call["status"] == "released", call["reasons"]
    screen = _stage(call)
    assert screen["outcome"] == "passed"
    (copied,) = [c for c in screen["evidence"]["near_copies"] if c["work_id"] == work_id]
    assert copied["decision"] == "allowed" and copied["band"] == "match"


def test_a_restoration_that_paints_outside_its_mask_is_flagged_with_the_map(
    service: Service,
) -> None:
    _conservator(service)
    services: Services = service.app.state.services
    model = _model(service, adapter=PAINTER, name="painter")
    response = restore(service, _photo_png(), _mask_png(), model)
    assert response.status_code == 201, response.text
    call = response.json()
    assert call["status"] == "pending_review"
    assert "changed_outside_mask" in [r["code"] for r in call["reasons"]]
    screen = _stage(call)
    assert screen["outcome"] == "flagged"
    check = screen["evidence"]["outside_mask"]
    assert check["changed_pixels"] == 6 and check["dilation_px"] == DILATION_PX
    assert check["changed_fraction"] == pytest.approx(6 / check["checked_pixels"], abs=1e-6)
    (region,) = check["regions"]
    assert (region["x"], region["y"], region["width"], region["height"]) == (*FAR, 3, 2)
    # The map is kept with the call's files, by its SHA-256: a 1-bit PNG of the changes.
    stored = services.blobs.get(check["map"]["sha256"])
    changed = np.asarray(Image.open(io.BytesIO(stored)), dtype=bool)
    assert changed.shape == (96, 96) and int(changed.sum()) == 6 and changed[FAR[1], FAR[0]]
    # The label stage ran after, and says what its watermark adds; the output is kept.
    assert screen["evidence"]["label_marks"]["watermark_lattice_step_grey_levels"] > 0
    assert [s["name"] for s in call["stages"]][-2:] == ["label", "store_output"]


def test_a_restorer_that_keeps_to_its_mask_is_not_flagged(service: Service) -> None:
    model = _model(service, name="blur")  # tests.support.fake_models.blur_restore
    call = restore(service, _photo_png(), _mask_png(), model).json()
    screen = _stage(call)
    assert screen["outcome"] == "passed", call["reasons"]
    assert screen["evidence"]["outside_mask"]["changed_pixels"] == 0
    assert screen["evidence"]["outside_mask"]["map"] is None


def test_a_builtin_restoration_is_not_flagged(database_url: str, tmp_path: Path) -> None:
    service = make_service(database_url, tmp_path / "data", register_builtin_models=True)
    try:
        image = _photo_png(128)
        call = restore(service, image, _mask_png(128), "builtin-restoration").json()  # type: ignore[arg-type]
    finally:
        service.app.state.services.engine.dispose()
    assert call["status"] == "pending_review"  # every restoration waits for a person
    screen = _stage(call)
    assert screen["outcome"] == "passed" and screen["reasons"] == []
    check = screen["evidence"]["outside_mask"]
    assert check["changed_pixels"] == 0 and check["checked_pixels"] > 0
