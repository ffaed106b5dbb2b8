"""Flat pictures: refused at registration, and never matched, even where the database
holds flat works registered before the rule (in /match, the input-rights stage and
training-item links)."""

import base64
import hashlib

import numpy as np
import pytest
from PIL import Image
from sqlmodel import Session, select

from governance.aimodels.models import ClearanceLink
from governance.db import unit_of_work
from governance.pipeline.stage import Outcome
from governance.pipeline.stages.input_rights import InputRights
from rights import registry
from rights.fingerprints import fingerprint
from rights.models import RightsHolder
from tests.support.call_helpers import _model
from tests.support.helpers import encode, match, np_image, png_bytes, register
from tests.support.model_helpers import item_of, manifest, register_model
from tests.support.service_fixture import Service
from tests.support.stages import harness

RAMP = np.tile(np.linspace(0, 255, 200), (120, 1)).astype(np.uint8)
Y, X = np.mgrid[0:128, 0:128]
QUADRANTS = np.kron([[0, 255], [255, 0]], np.ones((32, 32))).astype(np.uint8)

FLAT_FILES = {
    "1x1-png": encode(Image.new("RGB", (1, 1), (200, 10, 10))),
    "solid-jpeg": encode(Image.new("RGB", (640, 480), (30, 60, 90)), "JPEG", quality=90),
    "solid-16-bit-png": encode(Image.fromarray(np.full((64, 64), 40000, dtype=np.uint16))),
    "100000x1-strip": encode(
        Image.fromarray(np.random.default_rng(1).integers(0, 256, (1, 100_000), dtype=np.uint8))
    ),
    "nan-float-tiff": encode(
        Image.fromarray(np.full((32, 32), np.nan, dtype=np.float32), mode="F"), "TIFF"
    ),
    "inf-float-tiff": encode(
        Image.fromarray(np.full((32, 32), np.inf, dtype=np.float32), mode="F"), "TIFF"
    ),
    "left-right-ramp-webp": encode(Image.fromarray(RAMP), "WEBP", lossless=True),
    "diagonal-plane": encode(Image.fromarray((X + Y).astype(np.uint8))),
}


@pytest.mark.parametrize("name", sorted(FLAT_FILES))
def test_flat_pictures_are_refused_and_nothing_is_stored(
    module_service: Service, name: str
) -> None:
    service = module_service  # shared: each refusal leaves it empty, as checked here
    response = register(service.client, service.keys["alice"], FLAT_FILES[name])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "ImageTooFlat"
    assert "too flat to fingerprint" in body["detail"]
    assert service.stored() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    "pixels",
    [
        # Just past the line: 9 bits of pHash set, in either orientation.
        QUADRANTS,
        (X * Y * 255 // (127 * 127)).astype(np.uint8),
        np.hypot(X - 30, Y - 50).clip(0, 255).astype(np.uint8),
        np.random.default_rng(2).integers(0, 256, (2, 300), dtype=np.uint8),
    ],
    ids=["four-quadrants", "product-gradient", "radial-gradient", "two-row-noise"],
)
def test_pictures_varying_both_ways_are_registered(service: Service, pixels: np.ndarray) -> None:
    response = register(service.client, service.keys["alice"], encode(Image.fromarray(pixels)))
    assert response.status_code == 201, response.text


def _legacy_work(service: Service, data: bytes, image: Image.Image, **terms: str) -> int:
    """A work stored as registration did before flat pictures were refused."""
    with unit_of_work(service.app.state.services.engine) as session:
        holder = session.exec(select(RightsHolder).where(RightsHolder.name == "alice")).one()
        assert holder.id is not None
        new = registry.NewWork(
            holder_id=holder.id,
            title="Monochrome",
            creator="Somebody",
            license="CC-BY-4.0",
            sha256=hashlib.sha256(data).hexdigest(),
            media_type="image/png",
            width=image.width,
            height=image.height,
            byte_size=len(data),
            fingerprints=fingerprint(image),
            declared_terms=terms,
            embedded_signals=[],
            embedded_reads=[],
            changed_by="key:legacy",
        )
        work, _ = registry.register_work(session, new)
        assert work.id is not None
        return work.id


def test_legacy_flat_works_are_never_matched(service: Service) -> None:
    grey = Image.new("RGB", (64, 64), (128, 128, 128))
    _legacy_work(service, encode(grey), grey, restoration="notAllowed")
    ramp = Image.fromarray(RAMP)
    _legacy_work(service, encode(ramp), ramp, restoration="notAllowed")
    photo_id = register(service.client, service.keys["alice"], encode(np_image(5))).json()["id"]
    regulator = service.keys["regulator"]
    queries = {
        "same-pixels": encode(grey),
        "same-pixels-jpeg": encode(grey, "JPEG"),
        "other-grey": encode(Image.new("L", (10, 10), 90)),
        "1x1": encode(Image.new("RGB", (1, 1))),
        "same-ramp": encode(ramp),
        "strip": FLAT_FILES["100000x1-strip"],
    }
    for label, data in queries.items():
        response = match(service.client, regulator, data)
        assert response.status_code == 200 and response.json()["matches"] == [], label
    # Pictures that do vary are still found, the flat works beside them notwithstanding.
    found = match(service.client, regulator, encode(np_image(5))).json()["matches"]
    assert [m["work_id"] for m in found] == [photo_id]


def test_input_rights_passes_a_flat_input_despite_a_legacy_flat_work(service: Service) -> None:
    model = _model(service)
    grey = Image.new("RGB", (64, 64), (128, 128, 128))
    _legacy_work(service, encode(grey), grey, restoration="notAllowed")
    image = np.asarray(grey, dtype=np.uint8)
    mask = np.zeros((64, 64), dtype=bool)
    mask[4:20, 4:20] = True
    with harness(service) as h:
        result = InputRights().run(h.restoration(model, image, mask))
    assert result.outcome is Outcome.PASSED
    assert result.to_json()["evidence"] == {"matches": []}


def _links(service: Service) -> list[tuple[int, int, str]]:
    with Session(service.app.state.services.engine) as session:
        rows = session.exec(select(ClearanceLink)).all()
        return [(r.item_id, r.work_id, r.match) for r in rows]


def test_training_items_never_link_to_flat_pictures(service: Service) -> None:
    grey = Image.new("RGB", (64, 64), (128, 128, 128))
    grey_png = encode(grey)
    _legacy_work(service, grey_png, grey, ai_training="notAllowed")
    flat_items = [
        # The legacy work's very bytes, a flat pHash claimed outright, a flat file.
        {"sha256": hashlib.sha256(grey_png).hexdigest()},
        {"sha256": "ab" * 32, "phash": "8000000000000000"},
        {"image": base64.b64encode(encode(Image.new("L", (5, 5), 7))).decode()},
        {"sha256": "cd" * 32, "phash": "ffffffffffffff00"},
    ]
    registered = register_model(
        service.client, service.keys["admin"], manifest(*flat_items, item_of("coffee"))
    )
    assert registered.status_code == 201, registered.text
    assert _links(service) == []
    # A work registered afterwards whose pHash lies within reach of the flat items (the
    # quadrants' is 8 bits from 8000000000000000) links to none of them either.
    quadrants = register(service.client, service.keys["alice"], encode(Image.fromarray(QUADRANTS)))
    assert quadrants.status_code == 201, quadrants.text
    assert _links(service) == []
    # Nor has anything stopped links between pictures that do vary.
    work_id = register(service.client, service.keys["bob"], png_bytes("coffee")).json()["id"]
    assert [(w, m) for _, w, m in _links(service)] == [(work_id, "exact")]
