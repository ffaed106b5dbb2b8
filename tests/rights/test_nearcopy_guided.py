"""Guided matching, one detection for every pass, and candidates carried between passes."""

from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image

from bench import bench_nearcopy_cases as cases
from rights.nearcopy import features, search, verify
from rights.nearcopy.features import Variant, described, detect, extract
from rights.nearcopy.guided import hamming, near_pairs, one_each
from rights.nearcopy.record import WorkRecord
from rights.nearcopy.search import NearCopyIndex, describe_work
from rights.nearcopy.word_index import Candidate
from tests.support.helpers import photo


def test_near_pairs_are_every_pair_within_the_radius():
    rng = np.random.default_rng(4)
    for _ in range(20):
        points = rng.uniform(-40, 560, (300, 2))
        points[:3] = [[1e9, -1e9], [-1e9, 5.0], [3.0, 1e9]]  # far off: near nothing
        others = rng.uniform(0, 512, (200, 2))
        radius = float(rng.uniform(1, 8))
        first, second = near_pairs(points, others, radius)
        within = np.linalg.norm(points[:, None] - others[None], axis=2) <= radius
        assert sorted(zip(first.tolist(), second.tolist(), strict=True)) == sorted(
            zip(*(a.tolist() for a in np.nonzero(within)), strict=True)
        )


def test_one_each_uses_every_keypoint_once_closest_first():
    query = np.array([0, 0, 1, 2, 2])
    work = np.array([5, 6, 5, 6, 7])
    distance = np.array([10, 20, 5, 30, 40])
    kept_query, kept_work = one_each(query, work, distance)
    pairs = set(zip(kept_query.tolist(), kept_work.tolist(), strict=True))
    # Work 5 goes to query 1 (5 bits), work 6 to query 0 (20 bits), work 7 to query 2.
    assert pairs == {(1, 5), (0, 6), (2, 7)}


def test_hamming_counts_differing_bits():
    rng = np.random.default_rng(5)
    first = rng.integers(0, 256, (40, 32), dtype=np.uint8)
    second = rng.integers(0, 256, (40, 32), dtype=np.uint8)
    expected = np.unpackbits(first ^ second, axis=1).sum(axis=1)
    assert hamming(first, second).tolist() == expected.tolist()


def test_percentiles_from_the_histogram_are_numpys():
    rng = np.random.default_rng(6)
    for _ in range(50):
        grey = rng.integers(0, 256, (int(rng.integers(1, 90)), int(rng.integers(1, 90))))
        grey = (grey // int(rng.integers(1, 60))).astype(np.uint8)
        assert features._percentiles(grey, (0.5, 99.5)) == pytest.approx(
            tuple(np.percentile(grey, [0.5, 99.5])), abs=1e-9
        )


def test_one_detection_gives_each_variants_features():
    image = photo("astronaut").convert("RGB").resize((320, 320))
    detected = detect(image, 600)
    plain = described(detected, Variant.PLAIN)
    same = extract(image, 600)
    assert np.array_equal(plain.descriptors, same.descriptors)
    assert np.array_equal(plain.points, same.points)
    for variant in (Variant.MIRRORED, Variant.INVERTED, Variant.INVERTED_MIRRORED):
        from_detection = described(detected, variant)
        apart = extract(image, 600, variant)
        # Mostly the same keypoints, described alike, in the variant's frame.
        query_index, work_index = verify.one_to_one(from_detection.descriptors, apart.descriptors)
        placed = np.linalg.norm(
            from_detection.points[query_index] - apart.points[work_index], axis=1
        )
        assert (placed < 1.5).sum() >= 0.6 * len(apart)


@pytest.fixture(scope="module")
def small_crop_copy() -> tuple[WorkRecord, Image.Image]:
    """A tuning-split copy that travelled hard (crop, turn or mirror, fade or overlay, a
    ~200 px thumbnail, JPEG): the ratio test leaves its right map under the bar."""
    work = next(w for w in cases.works("tuning") if w.name == "retina/crop")
    copy, _ = cases.FAMILIES["combination_harsh"](work.image, np.random.default_rng(8))
    return describe_work(work.image), copy


def test_guided_matching_finds_a_copy_the_ratio_test_alone_missed(small_crop_copy, monkeypatch):
    record, copy = small_crop_copy
    index = NearCopyIndex()
    index.add(1, record)
    found = index.search(copy, lambda ids: {1: record})
    assert [m.work_id for m in found] == [1]
    assert found[0].inliers >= verify.MIN_INLIERS
    monkeypatch.setattr(verify, "GUIDE_SEED", 10**6)  # as before guided matching
    assert index.search(copy, lambda ids: {1: record}) == []


def test_a_work_voted_first_in_one_pass_is_verified_in_the_later_ones(monkeypatch):
    coffee, camera = photo("coffee").convert("RGB"), photo("camera").convert("RGB")
    records = {1: describe_work(coffee), 2: describe_work(camera)}
    index = NearCopyIndex()
    index.add_many(records.items())
    # The plain pass votes coffee first; the mirrored pass (where its mirrored copy
    # verifies) votes only camera, as a crowded registry can.
    votes = iter([[Candidate(1, 1.0, 9)], [Candidate(2, 1.0, 9)]])
    monkeypatch.setattr(index.words, "candidates", lambda *_: next(votes, []))
    verified: list[tuple[Variant, int]] = []
    real_verify = search.verify

    def spy(query, variant, work, min_inliers):  # type: ignore[no-untyped-def]
        verified.append((variant, next(k for k, r in records.items() if r.features is work)))
        return real_verify(query, variant, work, min_inliers)

    monkeypatch.setattr(search, "verify", spy)

    def load(ids: Sequence[int]) -> dict[int, WorkRecord]:
        return {i: records[i] for i in ids}

    mirrored = np.ascontiguousarray(np.asarray(coffee)[:, ::-1])
    found = index.search(mirrored, load, passes=(Variant.PLAIN, Variant.MIRRORED))
    assert (Variant.MIRRORED, 1) in verified
    assert found[0].work_id == 1
    assert found[0].transform.mirrored
