"""The one Hamming index: search, the radius edge, the 64-bit conversions, refresh."""

import threading
import time

import imagehash
import numpy as np
import pytest

from rights.fingerprints import hamming, hash_codes, hash_hex, signed64, unsigned64
from rights.hash_index import Batch, HashIndex
from tests.support.helpers import photo

EDGES = [0, 1, 2**62, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 2, 2**64 - 1]


def _flip(value: int, bits: int) -> int:
    """`value` (signed) with its lowest `bits` bits flipped."""
    return signed64(unsigned64(value) ^ ((1 << bits) - 1))


def _random_codes(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-(2**63), 2**63 - 1, size=n, dtype=np.int64)


def test_unsigned_values_round_trip_across_the_whole_range() -> None:
    rng = np.random.default_rng(3)
    spread = [int(v) for v in rng.integers(0, 2**64 - 1, size=200, dtype=np.uint64)]
    for value in EDGES + spread:
        signed = signed64(value)
        assert -(2**63) <= signed < 2**63
        assert (signed < 0) == (value >= 2**63)
        assert unsigned64(signed) == value
        assert hash_hex(signed) == f"{value:016x}"


def test_the_signed_edges_are_where_they_belong() -> None:
    assert signed64(2**63 - 1) == 2**63 - 1
    assert signed64(2**63) == -(2**63)
    assert signed64(2**64 - 1) == -1
    for signed in (-(2**63), -(2**62), -12345, -1, 0, 1, 2**63 - 1):
        assert signed64(unsigned64(signed)) == signed
    assert unsigned64(-1) == 2**64 - 1
    assert unsigned64(-(2**63)) == 2**63


@pytest.mark.parametrize("value", [-1, 2**64, 2**70])
def test_a_value_that_is_not_64_bits_is_refused_as_unsigned(value: int) -> None:
    with pytest.raises(ValueError):
        signed64(value)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])
def test_a_value_that_is_not_64_bits_is_refused_as_signed(value: int) -> None:
    with pytest.raises(ValueError):
        unsigned64(value)


def test_codes_are_the_big_endian_bytes_of_the_hex_form() -> None:
    signed = [signed64(v) for v in EDGES]
    codes = hash_codes(np.array(signed, dtype=np.int64))
    assert codes.shape == (len(EDGES), 8) and codes.dtype == np.uint8
    for row, value in zip(codes, EDGES, strict=True):
        assert row.tobytes() == value.to_bytes(8, "big")
    # The same bytes as imagehash's own hex form of a real photograph's pHash.
    real = imagehash.phash(photo("coffee"))
    assert hash_codes([signed64(int(str(real), 16))]).tobytes() == bytes.fromhex(str(real))


def test_one_code_is_found_by_itself_and_its_columns_come_along() -> None:
    index = HashIndex(orientation=np.int8, dhash=np.int64)
    codes = [signed64(v) for v in (0, 2**63, 2**64 - 1)]
    index.add(codes, [10, 20, 30], orientation=[0, 1, 0], dhash=[-5, 7, 2**63 - 1])
    assert len(index) == 3
    hits = index.within(codes[1], 0)
    assert hits.key.tolist() == [20] and hits.distance.tolist() == [0]
    assert hits.columns["orientation"].tolist() == [1]
    assert hits.columns["dhash"].tolist() == [7]
    assert index.within(codes[2], 0).columns["dhash"].tolist() == [2**63 - 1]


def test_a_batch_of_queries_finds_each_its_own_rows() -> None:
    index = HashIndex()
    codes = _random_codes(50, seed=1)
    index.add(codes, np.arange(100, 150))
    queries = [int(codes[7]), _flip(int(codes[31]), 2), int(codes[7])]
    hits = index.within(np.array(queries, dtype=np.int64), 3)
    assert list(
        zip(hits.query.tolist(), hits.key.tolist(), hits.distance.tolist(), strict=True)
    ) == [
        (0, 107, 0),
        (1, 131, 2),
        (2, 107, 0),
    ]


@pytest.mark.parametrize("max_distance", [0, 1, 12, 63])
def test_the_radius_is_inclusive(max_distance: int) -> None:
    base = signed64(0xF0E1D2C3B4A59687)
    index = HashIndex()
    index.add([_flip(base, max_distance), _flip(base, max_distance + 1)], [1, 2])
    hits = index.within(base, max_distance)
    assert hits.key.tolist() == [1] and hits.distance.tolist() == [max_distance]


def test_the_whole_width_of_the_code_counts() -> None:
    index = HashIndex()
    index.add([-1], [1])  # every bit set: 64 bits from zero
    assert len(index.within(0, 63)) == 0
    assert index.within(0, 64).distance.tolist() == [64]


def test_hits_come_by_query_then_distance_then_key() -> None:
    base = 0x123456789ABCDEF
    index = HashIndex()
    # Keys and distances deliberately out of insertion order.
    rows = [(9, 3), (4, 1), (7, 3), (1, 2), (5, 1), (8, 0)]
    index.add([_flip(base, d) for _, d in rows], [k for k, _ in rows])
    hits = index.within([_flip(base, 64), base], 3)
    assert hits.query.tolist() == [1] * 6
    assert list(zip(hits.distance.tolist(), hits.key.tolist(), strict=True)) == sorted(
        (d, k) for k, d in rows
    )


def test_search_agrees_with_a_brute_force_scan() -> None:
    codes = _random_codes(3000, seed=5)
    index = HashIndex()
    index.add(codes, np.arange(len(codes)))
    queries = [_flip(int(codes[i]), i % 9) for i in range(0, 3000, 150)]
    queries += [int(v) for v in _random_codes(10, seed=6)]
    hits = index.within(queries, 22)
    found = set(zip(hits.query.tolist(), hits.key.tolist(), hits.distance.tolist(), strict=True))
    expected = {
        (q, k, hamming(query, int(code)))
        for q, query in enumerate(queries)
        for k, code in enumerate(codes)
        if hamming(query, int(code)) <= 22
    }
    assert found == expected and len(found) == len(hits)


def test_an_empty_index_finds_nothing() -> None:
    index = HashIndex(dhash=np.int64)
    hits = index.within([1, 2], 64)
    assert len(hits) == 0 and hits.columns["dhash"].tolist() == []
    assert index.memory_bytes() == 0


def test_rows_must_bring_exactly_the_declared_columns() -> None:
    index = HashIndex(model_id=np.int64)
    with pytest.raises(ValueError, match="columns"):
        index.add([1], [1])
    with pytest.raises(ValueError, match="columns"):
        index.add([1], [1], model_id=[1], other=[2])
    with pytest.raises(ValueError, match="one entry per row"):
        index.add([1, 2], [1], model_id=[1, 2])
    assert len(index) == 0
    with pytest.raises(ValueError, match="int64 and int8"):
        HashIndex(wide=np.int32)


def test_memory_counts_code_key_and_columns() -> None:
    index = HashIndex(orientation=np.int8, dhash=np.int64)
    index.add([1, 2], [1, 2], orientation=[0, 1], dhash=[3, 4])
    assert index.memory_bytes() == 2 * (8 + 8 + 1 + 8)


def test_refresh_reads_on_from_the_last_id_it_saw() -> None:
    index = HashIndex()
    asked: list[int] = []

    def fetch(last_id: int) -> Batch | None:
        asked.append(last_id)
        if last_id == 0:
            return Batch(7, np.array([5, 6]), np.array([3, 7]))
        if last_id == 7:
            # Rows past 7 that hold no hash: nothing to add, but read past all the same.
            return Batch(9, np.empty(0, np.int64), np.empty(0, np.int64))
        return None

    assert [index.refresh(fetch) for _ in range(3)] == [2, 0, 0]
    assert asked == [0, 7, 9] and index.last_id == 9 and len(index) == 2


def test_two_threads_never_load_the_same_rows() -> None:
    table = _random_codes(400, seed=8)
    loaded: list[int] = []
    index = HashIndex()
    start = threading.Barrier(8)

    def fetch(last_id: int) -> Batch | None:
        rows = np.arange(last_id + 1, len(table) + 1)
        time.sleep(0.02)  # a slow database: every thread arrives while the first reads
        if not len(rows):
            return None
        loaded.extend(rows.tolist())
        return Batch(int(rows[-1]), table[rows - 1], rows)

    def worker() -> None:
        start.wait()
        index.refresh(fetch)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(loaded) == list(range(1, 401))
    assert len(index) == 400
    assert index.within(int(table[122]), 0).key.tolist() == [123]
