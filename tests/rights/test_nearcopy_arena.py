"""Posting storage: blocks in one array, appends in batches, moves, compaction, bulk loads."""

import numpy as np
import pytest

from rights.nearcopy.arena import Arena, ranges, runs, word_order
from rights.nearcopy.search import NearCopyIndex, describe_work
from rights.nearcopy.word_index import WordIndex
from tests.support.helpers import photo


def test_helpers():
    assert list(ranges(np.array([5, 0, 9]), np.array([2, 0, 3]))) == [5, 6, 9, 10, 11]
    values, first, counts = runs(np.array([1, 1, 4, 7, 7, 7]))
    assert (list(values), list(first), list(counts)) == ([1, 4, 7], [0, 2, 3], [2, 1, 3])
    words = np.random.default_rng(0).integers(0, 1 << 20, 5000)
    assert np.array_equal(word_order(words), np.argsort(words, kind="stable"))


def test_batches_land_in_each_words_list_in_order_through_moves_and_compaction():
    rng = np.random.default_rng(3)
    arena = Arena(50)
    expected: dict[int, list[int]] = {w: [] for w in range(50)}
    serial = 0
    for _ in range(60):  # many small batches: blocks move, dead room is reclaimed
        words = np.sort(rng.integers(0, 50, int(rng.integers(1, 40))), kind="stable")
        postings = np.arange(serial, serial + len(words), dtype=np.uint64)
        serial += len(words)
        arena.append(words, postings)
        for w, p in zip(words.tolist(), postings.tolist(), strict=True):
            expected[w].append(p)
    everything = np.arange(50)
    joined, lengths = arena.gather(everything)
    assert list(lengths) == [len(expected[w]) for w in range(50)]
    assert joined.tolist() == [p for w in range(50) for p in expected[w]]
    before = arena.nbytes
    arena.compact()
    assert arena.nbytes < before
    assert arena.gather(everything)[0].tolist() == joined.tolist()
    arena.append(np.array([3, 3]), np.array([7, 8], dtype=np.uint64))  # grows after compaction
    assert arena.gather(np.array([3]))[0].tolist() == [*expected[3], 7, 8]


def random_works(count: int, seed: int) -> tuple[list[int], list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    ids = list(range(1000, 1000 + count))
    words = [rng.integers(0, 5000, 40) for _ in ids]
    codes = [rng.integers(0, 2**32, 40, dtype=np.uint32) for _ in ids]
    return ids, words, codes


def test_a_bulk_load_votes_as_adds_do_and_has_no_spare_room():
    ids, words, codes = random_works(300, 1)
    added = WordIndex(5000)
    for start in range(0, 300, 7):
        added.add_many(ids[start : start + 7], words[start : start + 7], codes[start : start + 7])
    loaded = WordIndex(5000)
    batches = [(ids[s : s + 50], words[s : s + 50], codes[s : s + 50]) for s in range(0, 300, 50)]
    assert loaded.load(lambda: iter(batches)) == 300
    assert loaded.memory_bytes() < added.memory_bytes()
    for probe in (5, 123, 299):
        query = (words[probe][:, None], codes[probe])
        assert loaded.candidates(*query, 5) == added.candidates(*query, 5)
        assert loaded.candidates(*query, 5)[0].work_id == ids[probe]
    loaded.add(5000, words[5], codes[5])  # still grows afterwards
    assert {c.work_id for c in loaded.candidates(words[5][:, None], codes[5], 2)} == {1005, 5000}


def test_a_bulk_load_refuses_a_full_index_or_a_changed_second_reading():
    ids, words, codes = random_works(20, 2)
    index = WordIndex(5000)
    index.add(1, words[0], codes[0])
    with pytest.raises(ValueError, match="empty"):
        index.load(lambda: iter([(ids, words, codes)]))
    readings = iter([[(ids[:10], words[:10], codes[:10])], [(ids, words, codes)]])
    fresh = WordIndex(5000)
    with pytest.raises(ValueError, match="second reading"):
        fresh.load(lambda: iter(next(readings)))
    assert len(fresh) == 0
    assert fresh.load(lambda: iter([(ids, words, codes)])) == 20


def test_the_near_copy_index_loads_from_postings():
    records = {7: describe_work(photo("camera")), 8: describe_work(photo("coffee"))}
    index = NearCopyIndex()
    batches = [[(7, records[7].postings())], [(8, records[8].postings())]]
    assert index.load(lambda: iter(batches)) == 2
    found = index.search(photo("coffee").rotate(180), lambda ids: {i: records[i] for i in ids})
    assert [m.work_id for m in found] == [8]
