"""Postings unpacked many at once, and an index loaded from stored bytes: the same as
one work at a time."""

import numpy as np
import pytest

from rights.nearcopy import NearCopyIndex, Postings
from rights.nearcopy.record import InvalidRecordError, unpack_postings
from rights.nearcopy.vocabulary import default_vocabulary


def _postings(seed: int, count: int) -> Postings:
    rng = np.random.default_rng(seed)
    vocabulary = default_vocabulary()
    words = rng.integers(0, vocabulary.size, count).astype(np.uint32)
    codes = rng.integers(0, 1 << 32, count, dtype=np.uint64).astype(np.uint32)
    return Postings(words, codes, vocabulary.id)


def test_unpacked_at_once_as_one_by_one() -> None:
    vocabulary_id = default_vocabulary().id
    many = [_postings(seed, count) for seed, count in enumerate([500, 0, 3, 499, 1])]
    counts, words, codes = unpack_postings([p.to_bytes() for p in many], vocabulary_id)
    assert counts.tolist() == [500, 0, 3, 499, 1]
    assert np.array_equal(words, np.concatenate([p.words for p in many]))
    assert np.array_equal(codes, np.concatenate([p.signatures for p in many]))
    empty = unpack_postings([], vocabulary_id)
    assert all(len(part) == 0 for part in empty)


def test_bytes_that_are_not_postings_of_this_vocabulary_are_refused() -> None:
    vocabulary_id = default_vocabulary().id
    good = _postings(1, 10).to_bytes()
    for bad in (
        good[:-1],  # truncated
        good + b"\0\0\0\0",  # too long for its count
        b"XXXX" + good[4:],  # not postings
        good[:6] + b"\1" * 8 + good[14:],  # another vocabulary
        good[:5],  # shorter than a header
    ):
        with pytest.raises(InvalidRecordError):
            unpack_postings([good, bad], vocabulary_id)


def test_an_index_loaded_from_stored_bytes_votes_as_one_built_by_adds() -> None:
    stored = {work_id: _postings(work_id, 400) for work_id in range(1, 40)}
    added = NearCopyIndex()
    added.add_postings(stored.items())
    loaded = NearCopyIndex()
    ids = sorted(stored)
    batches = [
        (ids[i : i + 7], [stored[w].to_bytes() for w in ids[i : i + 7]])
        for i in range(0, len(ids), 7)
    ]
    assert loaded.load_stored(lambda: iter(batches)) == len(ids)
    query = stored[5]
    words = query.words.astype(np.int64)[:, None]
    for index in (added, loaded):
        top = index.words.candidates(words, query.signatures, 3)
        assert top[0].work_id == 5
    assert [c.work_id for c in added.words.candidates(words, query.signatures, 5)] == [
        c.work_id for c in loaded.words.candidates(words, query.signatures, 5)
    ]
    assert added.memory_bytes() >= loaded.memory_bytes()  # a bulk load leaves no spare room
