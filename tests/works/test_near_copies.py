"""`/v1/works/match` answers from the near-copy matcher: crops, turns and negatives are
found with their transform, altered copies with their regions; the old fields stay."""

import io

import numpy as np
from PIL import Image, ImageFilter, ImageOps
from sqlmodel import Session, select

from governance.db import request_session
from governance.works.nearcopy import REVIEW_MIN_INLIERS, find_near_copies
from governance.works.nearcopy_store import ANALYSIS_SIDE, analysis_copy, analysis_pixels
from rights.models import WorkNearCopy
from rights.nearcopy import MIN_INLIERS, Postings, WorkRecord
from rights.nearcopy.vocabulary import default_vocabulary
from tests.support.helpers import encode, match, photo, png_bytes, register
from tests.support.service_fixture import Service


def _matches(service: Service, image: Image.Image, fmt: str = "JPEG") -> list[dict]:
    response = match(service.client, service.keys["regulator"], encode(image, fmt))
    assert response.status_code == 200, response.text
    found: list[dict] = response.json()["matches"]
    return found


def test_match_reports_method_band_transform_and_alterations(service: Service) -> None:
    ids = {
        name: register(service.client, service.keys["alice"], png_bytes(name)).json()["id"]
        for name in ("astronaut", "coffee")
    }
    original = photo("astronaut")
    # A crop turned by 10 degrees: its hashes are far, its local features are not.
    turned = original.crop((40, 30, 470, 480)).rotate(10, resample=Image.Resampling.BICUBIC)
    [found] = _matches(service, turned)
    assert found["work_id"] == ids["astronaut"]
    assert found["method"] == "local_features" and found["band"] == "match"
    assert found["score"] >= 0.5 and found["inliers"] >= 12
    assert abs(found["transform"]["rotation_degrees"] - 10) <= 2
    assert not found["transform"]["mirrored"] and not found["transform"]["inverted"]
    # The old fields are still there, measured against the work's stored hashes.
    assert (
        not found["exact"]
        and found["distance"] == found["phash_distance"] + found["dhash_distance"]
    )
    assert found["orientation"] in ("original", "mirrored")
    # The same pixels: exact, unaltered.
    [same] = _matches(service, original, "PNG")
    assert (same["method"], same["exact"], same["altered"]) == ("exact", True, False)
    assert same["score"] == 1.0 and same["distance"] == 0
    # A re-encode is found by its hashes too, and is not called altered.
    [jpeg] = _matches(service, original)
    assert jpeg["method"] == "hash" and jpeg["altered"] is False and jpeg["altered_regions"] == []
    # A patch painted over the face: altered, with a region where the patch is.
    pixels = np.asarray(original).copy()
    pixels[60:140, 180:270] = (20, 200, 40)
    [edited] = _matches(service, Image.fromarray(pixels), "PNG")
    assert edited["work_id"] == ids["astronaut"] and edited["altered"] is True
    box = edited["altered_regions"][0]
    overlap_x = min(box["x"] + box["width"], 270) - max(box["x"], 180)
    overlap_y = min(box["y"] + box["height"], 140) - max(box["y"], 60)
    assert overlap_x > 0 and overlap_y > 0, box
    assert 0 < edited["altered_fraction"] < 0.2
    # A negative, mirrored: found, and said to be both.
    [negative] = _matches(service, ImageOps.mirror(ImageOps.invert(original)))
    assert negative["work_id"] == ids["astronaut"]
    assert negative["transform"]["inverted"] and negative["transform"]["mirrored"]
    # Unrelated pictures match nothing.
    for unrelated in ("moon", "brick", "page"):
        assert _matches(service, photo(unrelated), "PNG") == [], unrelated


def test_a_works_record_and_reduced_copy_are_stored(service: Service) -> None:
    work = register(service.client, service.keys["alice"], png_bytes("coffee")).json()
    services = service.app.state.services
    with Session(services.engine) as session:
        row = session.exec(select(WorkNearCopy).where(WorkNearCopy.work_id == work["id"])).one()
    vocabulary = default_vocabulary()
    assert row.vocabulary_id == vocabulary.id.hex()
    record = WorkRecord.from_bytes(row.record)
    postings = Postings.from_bytes(row.postings)
    assert (record.features.width, record.features.height) == (work["width"], work["height"])
    assert np.array_equal(postings.words, record.words) and len(record.words) > 100
    assert np.array_equal(postings.signatures, record.postings().signatures)
    reduced = Image.open(io.BytesIO(services.blobs.get(row.analysis_sha256)))
    assert max(reduced.size) == min(ANALYSIS_SIDE, max(work["width"], work["height"]))
    assert reduced.size == (row.analysis_width, row.analysis_height)
    # Lossless: what was reduced is what is read back.
    expected = np.asarray(analysis_copy(photo("coffee")))
    assert np.array_equal(np.asarray(reduced.convert("RGB")), expected)


def _reduced_copy(service: Service, data: bytes) -> tuple[dict, WorkNearCopy, np.ndarray]:
    response = register(service.client, service.keys["alice"], data)
    assert response.status_code == 201, response.text
    work = response.json()
    services = service.app.state.services
    with Session(services.engine) as session:
        row = session.exec(select(WorkNearCopy).where(WorkNearCopy.work_id == work["id"])).one()
    pixels = analysis_pixels(services, row.analysis_sha256)
    assert pixels is not None
    return work, row, pixels


def test_an_upload_that_reads_back_as_is_is_its_own_reduced_copy(service: Service) -> None:
    # 8-bit RGB within ANALYSIS_SIDE, PNG or JPEG: the row names the upload itself, and
    # its pixels are the decoded ones.
    for name, fmt in (("astronaut", "PNG"), ("chelsea", "JPEG")):
        image = photo(name).crop((0, 0, 300, 280))
        data = encode(image, fmt)
        work, row, pixels = _reduced_copy(service, data)
        assert row.analysis_sha256 == work["sha256"], name
        decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        assert np.array_equal(pixels, decoded), name


def test_a_turned_grey_or_large_upload_gets_its_own_upright_copy(service: Service) -> None:
    base = photo("astronaut").crop((0, 0, 400, 300))
    # An EXIF turn: the file's own pixels lie on their side, the copy stands upright.
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    base.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    work, row, pixels = _reduced_copy(service, buffer.getvalue())
    assert row.analysis_sha256 != work["sha256"]
    assert (work["width"], work["height"]) == (300, 400) and pixels.shape == (400, 300, 3)
    # A grey file and a file over ANALYSIS_SIDE: a WebP copy of their RGB pixels.
    for image in (photo("camera").convert("L"), photo("coffee")):
        work, row, pixels = _reduced_copy(service, encode(image, "PNG"))
        assert row.analysis_sha256 != work["sha256"]
        assert pixels.shape == (row.analysis_height, row.analysis_width, 3)
        assert max(pixels.shape[:2]) == min(ANALYSIS_SIDE, max(image.size))


def test_a_weak_resemblance_is_in_the_review_band_only_when_asked(service: Service) -> None:
    work = register(service.client, service.keys["alice"], png_bytes("astronaut")).json()
    register(service.client, service.keys["alice"], png_bytes("coffee"))
    # Part of the work, blurred and re-encoded hard: a resemblance, not a copy (11
    # verified points against the 12 a copy needs; a blur of 3.25 now verifies 17).
    part = photo("astronaut").crop((100, 20, 420, 340)).filter(ImageFilter.GaussianBlur(4.0))
    data = encode(part, "JPEG", quality=30)
    assert match(service.client, service.keys["regulator"], data).json()["matches"] == []
    services = service.app.state.services
    with request_session(services.engine) as session:
        found = find_near_copies(session, services, Image.open(io.BytesIO(data)), review=True)
    [weak] = found
    assert weak.work_id == work["id"] and weak.band == "review"
    assert REVIEW_MIN_INLIERS <= weak.inliers < MIN_INLIERS and weak.score < 0.5
    assert weak.transform is not None and weak.transform.work_fraction < 0.5
