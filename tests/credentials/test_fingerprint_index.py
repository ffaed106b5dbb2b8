"""Finding a labelled output by its fingerprint: through the index, as a full scan would."""

import io
import uuid
from typing import Any

import numpy as np
from PIL import Image, ImageFilter
from sqlalchemy import insert
from sqlmodel import Session, select

from governance.credentials import resolve
from governance.credentials.models import OutputLabel
from rights.fingerprints import HashKind, Orientation, fingerprint, hamming, signed64, unsigned64
from rights.models import utcnow
from tests.support.helpers import encode, np_image
from tests.support.label_helpers import generated, generator, output_of
from tests.support.service_fixture import Service


def _image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def _look_up(service: Service, image: Image.Image, limit: int = 5) -> list[tuple[int, int, float]]:
    """(label id, call id, score) of what by_fingerprint finds, in its order."""
    services = service.app.state.services
    with Session(services.engine) as session:
        return [
            (f.label.id, f.label.call_id, f.score)
            for f in resolve.by_fingerprint(session, services, image, limit)
        ]


def _brute_force(service: Service, image: Image.Image, limit: int) -> list[tuple[Any, ...]]:
    """The same look-up as a scan over every row: the reference the index must match."""
    settings, prints = service.settings, fingerprint(image)
    phash = prints.get(HashKind.PHASH, Orientation.ORIGINAL)
    dhash = prints.get(HashKind.DHASH, Orientation.ORIGINAL)
    with Session(service.app.state.services.engine) as session:
        rows = session.exec(select(OutputLabel)).all()
    near = [
        (hamming(r.phash, phash) + hamming(r.dhash, dhash), r.id, r.call_id)
        for r in rows
        if hamming(r.phash, phash) <= settings.match_phash_max
        and hamming(r.dhash, dhash) <= settings.match_dhash_max
    ]
    return [(i, c, round(1 - d / 128, 4)) for d, i, c in sorted(near)[:limit]]


def _flipped(value: int, rng: np.random.Generator, bits: int) -> int:
    mask = sum(1 << int(b) for b in rng.choice(64, size=bits, replace=False))
    return signed64(unsigned64(value) ^ mask)


def _add_neighbours(service: Service, image: Image.Image, call_id: int, count: int) -> None:
    """Labels whose hashes sit at every distance around `image`'s, ties included; written
    straight into the table, as another process of the service would."""
    prints, rng = fingerprint(image), np.random.default_rng(17)
    phash = prints.get(HashKind.PHASH, Orientation.ORIGINAL)
    dhash = prints.get(HashKind.DHASH, Orientation.ORIGINAL)
    rows = [
        {
            "manifest_id": f"urn:uuid:{uuid.uuid4()}",
            "call_id": call_id,
            "watermark_id": None,
            "phash": _flipped(phash, rng, int(rng.integers(0, 16))),
            "dhash": _flipped(dhash, rng, int(rng.integers(0, 16))),
            "output_sha256": "0" * 64,
            "manifest_store_sha256": "0" * 64,
            "details": {},
            "call_audit_index": 0,
            "created_at": utcnow(),
        }
        for _ in range(count)
    ]
    with Session(service.app.state.services.engine) as session:
        session.execute(insert(OutputLabel), rows)
        session.commit()


def test_an_output_and_a_near_copy_are_found_and_a_far_image_is_not(service: Service) -> None:
    call = generated(service, generator(service))
    data = output_of(service, call)
    (label_id, call_id, score), *_ = _look_up(service, _image(data))
    assert call_id == call["id"] and score == 1.0
    blurred = _image(data).filter(ImageFilter.GaussianBlur(3))
    jpeg = _image(encode(_image(data), "JPEG", quality=60))
    for copy in (blurred, jpeg):
        found = _look_up(service, copy)
        assert [f[:2] for f in found] == [(label_id, call["id"])]
        assert 0.8 < found[0][2] <= 1.0
    assert _look_up(service, np_image(5, size=256)) == []


def test_a_label_made_after_the_index_loaded_is_found(service: Service) -> None:
    model = generator(service)
    first = generated(service, model, seed=0)  # the astronaut
    assert _look_up(service, _image(output_of(service, first)))[0][1] == first["id"]
    index = service.app.state.services.label_index
    assert len(index) == 1
    second = generated(service, model, seed=1)  # the coffee cup
    found = _look_up(service, _image(output_of(service, second)))
    assert [call_id for _, call_id, _ in found] == [second["id"]]
    assert len(index) == 2


def test_the_index_answers_as_a_scan_of_every_row_would(service: Service) -> None:
    model = generator(service)
    calls = [generated(service, model, seed=s) for s in (0, 1, 2)]
    outputs = [_image(output_of(service, c)) for c in calls]
    _look_up(service, outputs[0])  # the index is loaded; the neighbours come after
    _add_neighbours(service, outputs[0], calls[0]["id"], 300)
    queries = [
        *outputs,
        outputs[0].filter(ImageFilter.GaussianBlur(2)),
        np_image(9, size=256),
    ]
    for query in queries:
        for limit in (1, 5, 40):
            assert _look_up(service, query, limit) == _brute_force(service, query, limit)
    # The neighbours crowd the astronaut: a real comparison, with ties broken by id.
    many = _brute_force(service, outputs[0], 40)
    assert len(many) == 40
    assert len({score for _, _, score in many}) < 40
