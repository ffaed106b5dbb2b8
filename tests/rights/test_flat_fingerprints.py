"""Pictures too flat to fingerprint: where the line lies, and that nothing matches on them."""

import numpy as np
import pytest
from PIL import Image

from rights.fingerprints import (
    FLAT_MAX_BITS,
    HashKind,
    Orientation,
    fingerprint,
    flat_hashes,
    gray8,
    is_flat_hash,
    signed64,
)
from rights.hash_index import Batch
from rights.match_index import MatchIndex
from tests.support.helpers import PHOTOS, np_image, photo

RNG = np.random.default_rng(11)
RAMP = np.linspace(0, 255, 256)
Y, X = np.mgrid[0:128, 0:128]


def _grey(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.asarray(pixels).astype(np.uint8))


def _float_scan(pixels: np.ndarray) -> Image.Image:
    return Image.fromarray(np.asarray(pixels, dtype=np.float32), mode="F")


FLAT = {
    "1x1": Image.new("RGB", (1, 1), (5, 6, 7)),
    "1x1-white": Image.new("L", (1, 1), 255),
    "solid-black": Image.new("L", (64, 64), 0),
    "solid-colour": Image.new("RGB", (300, 200), (10, 200, 30)),
    "solid-rgba": Image.new("RGBA", (40, 40), (90, 10, 10, 128)),
    "solid-16-bit": Image.fromarray(np.full((64, 64), 30000, dtype=np.uint16)),
    "100000x1-noise": _grey(RNG.integers(0, 256, (1, 100_000))),
    "1x100000-noise": _grey(RNG.integers(0, 256, (100_000, 1))),
    "100000x1-solid": Image.new("L", (100_000, 1), 90),
    "200x2-same-rows": _grey(np.tile(RNG.integers(0, 256, (1, 200)), (2, 1))),
    "left-right-ramp": _grey(np.tile(RAMP, (256, 1))),
    "top-bottom-ramp": _grey(np.tile(RAMP, (256, 1)).T),
    # Any left-right profile plus a top-bottom one, such as this plane, keeps only the
    # signs of its two slopes: every such ramp has the same pHash.
    "diagonal-plane": _grey(X + Y),
    "two-bands": _grey(np.hstack([np.zeros((64, 32)), np.full((64, 32), 255)])),
    # +-1 grey level of noise averages away in the 32x32 reduction the hash reads.
    "near-solid": _grey(128 + RNG.integers(-1, 2, (256, 256))),
    "float-all-nan": _float_scan(np.full((64, 64), np.nan)),
    "float-all-inf": _float_scan(np.full((64, 64), np.inf)),
    "float-zeros": _float_scan(np.zeros((64, 64))),
}

FINE = {
    "200x2-noise": _grey(RNG.integers(0, 256, (2, 200))),
    "2x2-noise": _grey(RNG.integers(0, 256, (2, 2))),
    "8x8-noise": _grey(RNG.integers(0, 256, (8, 8))),
    "product-gradient": _grey(X * Y / 127 / 127 * 255),
    "radial-gradient": _grey(np.hypot(*np.mgrid[-128:128, -128:128]).clip(0, 255)),
    "noise": _grey(RNG.integers(0, 256, (256, 256))),
    "four-quadrants": _grey(np.kron([[0, 255], [255, 0]], np.ones((32, 32)))),
    "float-noise-with-nan": _float_scan(np.where(RNG.random((64, 64)) < 0.01, np.nan, 0.5)),
}


@pytest.mark.parametrize("name", sorted(FLAT))
def test_flat_pictures_are_flat(name: str) -> None:
    prints = fingerprint(FLAT[name])
    assert prints.flat, name
    assert prints.phash_bits <= FLAT_MAX_BITS


@pytest.mark.parametrize("name", sorted(FINE))
def test_pictures_that_vary_both_ways_are_not(name: str) -> None:
    prints = fingerprint(FINE[name])
    assert not prints.flat, name
    assert prints.phash_bits > FLAT_MAX_BITS


@pytest.mark.parametrize("name", PHOTOS)
def test_no_photograph_is_flat(name: str) -> None:
    prints = fingerprint(photo(name))
    # Distinct DCT values split at their median: 32 bits set, in either orientation.
    assert not prints.flat and prints.phash_bits >= 31


def test_the_line_is_at_eight_bits_set_or_unset() -> None:
    for ones, flat in [(0, True), (1, True), (8, True), (9, False), (32, False)]:
        low = (1 << ones) - 1
        assert is_flat_hash(signed64(low)) is flat, ones
        # The same count of unset bits is as flat: a manifest may claim any 64 bits.
        assert is_flat_hash(signed64(low ^ ((1 << 64) - 1))) is flat, ones
    values = [signed64((1 << n) - 1) for n in range(65)]
    assert flat_hashes(values).tolist() == [is_flat_hash(v) for v in values]
    assert flat_hashes([]).tolist() == []


def test_a_float_scan_is_scaled_by_its_finite_pixels() -> None:
    # A NaN (no reading) or an infinity used to set the scale and blacken everything else.
    values = np.linspace(0.0, 1.0, 64 * 64).reshape(64, 64)
    clean = np.asarray(gray8(_float_scan(values)))
    for odd, grey in [(np.nan, 0), (np.inf, 255), (-np.inf, 0)]:
        spoilt = values.copy()
        spoilt[5, 7] = odd
        got = np.array(gray8(_float_scan(spoilt)))
        assert got[5, 7] == grey
        got[5, 7] = clean[5, 7]
        assert np.array_equal(got, clean)


def _index_of(*images: Image.Image) -> MatchIndex:
    """A match index holding these pictures as works 1, 2, ... however flat."""
    index = MatchIndex()
    rows = []
    for work_id, image in enumerate(images, start=1):
        rows += [
            (work_id, h.kind.value, h.orientation.value, h.value) for h in fingerprint(image).hashes
        ]

    def fetch(last_id: int) -> Batch | None:
        numbered = [(i, *row) for i, row in enumerate(rows, start=1) if i > last_id]
        return index._ingest(numbered, last_id) if numbered else None

    index._index.refresh(fetch)
    return index


def test_flat_works_are_never_matched_and_flat_queries_find_nothing() -> None:
    solid, ramp, photograph = FLAT["solid-colour"], FLAT["left-right-ramp"], np_image(3)
    index = _index_of(solid, ramp, photograph)
    assert len(index) == 2  # the photograph, both orientations; the flat works left out
    for query in (solid, Image.new("L", (8, 8), 3), ramp, FLAT["100000x1-noise"]):
        assert index.search(fingerprint(query), 64, 64) == []
    (found,) = index.search(fingerprint(photograph), 12, 12)
    assert found.work_id == 3 and found.distance == 0
    queries = np.array(
        [
            fingerprint(solid).get(HashKind.PHASH, Orientation.ORIGINAL),
            fingerprint(photograph).get(HashKind.PHASH, Orientation.ORIGINAL),
            signed64(0),
        ],
        dtype=np.int64,
    )
    # Whatever the radius: a flat query never reaches anything, and keeps its position.
    assert {(q, w) for q, w, _ in index.near_many(queries, 64)} == {(1, 3)}
