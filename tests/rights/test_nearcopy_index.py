"""Records as bytes, the word index (incremental and bulk adds, voting), the vocabulary."""

from collections.abc import Sequence

import numpy as np
import pytest
from PIL import Image

from rights.nearcopy.features import WORK_KEYPOINTS
from rights.nearcopy.record import (
    FORMAT_VERSION,
    MAGIC,
    InvalidRecordError,
    Postings,
    WorkRecord,
)
from rights.nearcopy.search import NearCopyIndex, describe_work
from rights.nearcopy.vocabulary import HALF_BYTES, Vocabulary, default_vocabulary
from rights.nearcopy.word_index import WordIndex, signatures
from tests.support.helpers import photo


@pytest.fixture(scope="module")
def astronaut() -> WorkRecord:
    return describe_work(photo("astronaut"))


def test_a_record_survives_its_bytes(astronaut):
    data = astronaut.to_bytes()
    assert data[:4] == MAGIC
    assert int.from_bytes(data[4:6], "little") == FORMAT_VERSION
    back = WorkRecord.from_bytes(data)
    assert back.vocabulary_id == astronaut.vocabulary_id == default_vocabulary().id
    f, g = astronaut.features, back.features
    assert (g.width, g.height, g.scale) == (f.width, f.height, f.scale)
    assert np.array_equal(g.descriptors, f.descriptors)
    assert np.array_equal(back.words, astronaut.words)
    assert np.abs(g.points - f.points).max() <= 0.25  # float16 on a 512 px frame
    turn = np.abs((g.angles - f.angles + 180) % 360 - 180)
    assert turn.max() <= 360 / 256 / 2 + 1e-4
    assert back.to_bytes() == data
    assert len(data) == 26 + len(f) * 41
    assert len(f) == WORK_KEYPOINTS


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d[:10],
        lambda d: b"XXXX" + d[4:],
        lambda d: d[:4] + (FORMAT_VERSION + 1).to_bytes(2, "little") + d[6:],
        lambda d: d[:-1],
        lambda d: d + b"\0",
        lambda d: d[:22] + (10**6).to_bytes(4, "little") + d[26:],
        lambda d: d[:14] + (0).to_bytes(4, "little") + d[18:],
    ],
)
def test_damaged_records_are_refused(astronaut, change):
    with pytest.raises(InvalidRecordError):
        WorkRecord.from_bytes(change(astronaut.to_bytes()))


def test_postings_survive_their_bytes_and_rebuild_an_index(astronaut):
    postings = astronaut.postings()
    data = postings.to_bytes()
    assert len(data) == 18 + 8 * len(astronaut.features)
    back = Postings.from_bytes(data)
    assert np.array_equal(back.words, astronaut.words)
    assert np.array_equal(back.signatures, signatures(astronaut.features.descriptors))
    assert back.vocabulary_id == astronaut.vocabulary_id
    for damaged in (data[:-1], b"NCPY" + data[4:], data[:10]):
        with pytest.raises(InvalidRecordError):
            Postings.from_bytes(damaged)
    index = NearCopyIndex()
    index.add_postings([(9, back)])
    index.compact()
    found = index.search(photo("astronaut").rotate(90), lambda ids: {9: astronaut})
    assert [m.work_id for m in found] == [9]
    assert index.memory_bytes() > 8 * len(astronaut.features)


def test_a_featureless_picture_gives_an_empty_record_that_matches_nothing():
    flat = Image.new("L", (300, 200), 128)
    record = describe_work(flat)
    assert len(record.features) == 0
    back = WorkRecord.from_bytes(record.to_bytes())
    index = NearCopyIndex()
    index.add(1, back)
    assert index.search(flat, lambda ids: {1: back}) == []


def test_works_added_one_by_one_are_found_as_they_come(astronaut):
    camera = describe_work(photo("camera"))
    records = {1: astronaut, 2: camera}

    def load(ids: Sequence[int]) -> dict[int, WorkRecord]:
        return {i: records[i] for i in ids if i in records}

    index = NearCopyIndex()
    query = photo("camera").rotate(5, expand=True)
    assert index.search(query, load) == []
    index.add(1, astronaut)
    assert len(index) == 1
    assert index.search(query, load) == []
    index.add(2, camera)
    assert len(index) == 2
    assert [m.work_id for m in index.search(query, load)] == [2]


def test_the_callers_own_candidates_are_verified_too(astronaut):
    index = NearCopyIndex()  # empty: the word index votes for nothing
    found = index.search(
        photo("astronaut"), lambda ids: {1: astronaut} if 1 in ids else {}, also=[1]
    )
    assert [m.work_id for m in found] == [1]


def test_a_record_of_another_vocabulary_is_refused(astronaut):
    rng = np.random.default_rng(0)
    other = Vocabulary(rng.integers(0, 256, (2, 16, HALF_BYTES), dtype=np.uint8))
    assert other.id != default_vocabulary().id
    with pytest.raises(ValueError, match="another vocabulary"):
        NearCopyIndex(other).add(1, astronaut)


def test_bulk_and_one_by_one_adds_vote_alike():
    rng = np.random.default_rng(4)
    words = [rng.integers(0, 1000, 50) for _ in range(30)]
    codes = [rng.integers(0, 2**32, 50, dtype=np.uint32) for _ in range(30)]
    bulk, single = WordIndex(1000), WordIndex(1000)
    bulk.add_many(list(range(100, 130)), words, codes)
    for i in range(30):
        single.add(100 + i, words[i], codes[i])
    query_words, query_codes = words[7][:30, None], codes[7][:30]
    assert bulk.candidates(query_words, query_codes, 5) == single.candidates(
        query_words, query_codes, 5
    )
    assert bulk.candidates(query_words, query_codes, 5)[0].work_id == 107
    before = bulk.memory_bytes()
    bulk.compact()
    assert bulk.memory_bytes() <= before
    assert bulk.candidates(query_words, query_codes, 5) == single.candidates(
        query_words, query_codes, 5
    )


def test_votes_need_agreeing_signatures():
    index = WordIndex(100)
    index.add(1, np.array([5, 6, 7]), np.array([0, 0, 0], dtype=np.uint32))
    index.add(2, np.array([5, 6, 7]), np.array([0xFFFF, 0xFFFF, 0xFFFF], dtype=np.uint32))
    index.add(3, np.array([8, 9]), np.array([0, 0], dtype=np.uint32))
    found = index.candidates(np.array([[5], [6], [7]]), np.array([1, 2, 0], dtype=np.uint32), 3)
    assert [c.work_id for c in found] == [1]  # 2's signatures are 16 bits away; 3 shares no word
    assert index.candidates(np.array([[-1], [99]]), np.array([0, 0], dtype=np.uint32), 3) == []


def test_bad_additions_are_refused():
    index = WordIndex(100)
    with pytest.raises(ValueError):
        index.add(1, np.array([100]), np.array([0], dtype=np.uint32))
    with pytest.raises(ValueError):
        index.add(1, np.array([1, 2]), np.array([0], dtype=np.uint32))
    with pytest.raises(ValueError):
        index.add_many([1, 2], [np.array([1])], [np.array([0], dtype=np.uint32)])
    assert len(index) == 0


def test_the_vocabulary_gives_a_word_per_descriptor_and_neighbours_on_request(astronaut):
    vocabulary = default_vocabulary()
    descriptors = astronaut.features.descriptors
    own = vocabulary.words(descriptors)
    assert own.shape == (len(descriptors), 1)
    assert np.array_equal(own[:, 0], astronaut.words)
    assert (own >= 0).all() and (own < vocabulary.size).all()
    near = vocabulary.words(descriptors, 2, 256)
    assert near.shape == (len(descriptors), 4)
    assert np.array_equal(near[:, 0], own[:, 0])
    tight = vocabulary.words(descriptors, 2, 0)
    assert ((tight[:, 1:] == -1) | (tight[:, 1:] >= 0)).all()
    assert (tight[:, 1:] == -1).mean() > 0.5
    assert signatures(descriptors).dtype == np.uint32


@pytest.mark.parametrize("builtin", [True, False])
def test_signature_distances_count_bits_with_or_without_numpys_popcount(monkeypatch, builtin):
    from rights.nearcopy import word_index

    if not builtin:
        monkeypatch.delattr(np, "bitwise_count", raising=False)
    values = np.array([0, 1, 0xFFFFFFFF, 0x80000001, 0x0F0F0F0F], dtype=np.uint32)
    assert list(word_index._popcount(values)) == [0, 1, 32, 2, 16]
