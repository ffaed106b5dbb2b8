"""Posting lists as blocks of one array: every operation is a few numpy calls.

Each word owns a block (start, capacity) of one uint64 array; its postings fill the
block from the start. Appending a batch scatters it into the blocks, after moving the
blocks it would overflow to the end of the array with room to grow by half. Moved
blocks leave dead space, reclaimed when it passes a quarter of the array (a copy, so
the array is briefly held twice). A million words cost four int64 tables (32 MB), not a
million Python arrays, and a batch of any size costs no Python loop over its words.
"""

import numpy as np

_MIN_CAPACITY = 4
_GROWTH = 1.5
_DEAD_SHARE = 0.25
_CHUNK_WORDS = 1 << 16


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions start, start+1, ..., start+length-1 of each range, end to end."""
    lengths = np.asarray(lengths, dtype=np.int64)
    before = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=before[1:])
    total = int(lengths.sum())
    shifts = np.repeat(np.asarray(starts, dtype=np.int64) - before, lengths)
    positions: np.ndarray = np.arange(total, dtype=np.int64) + shifts
    return positions


def runs(sorted_words: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values of a sorted array, where each run starts, and its length."""
    if not len(sorted_words):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    first = np.flatnonzero(np.concatenate([[True], sorted_words[1:] != sorted_words[:-1]]))
    counts = np.diff(np.append(first, len(sorted_words)))
    return sorted_words[first], first, counts


def word_order(words: np.ndarray) -> np.ndarray:
    """A stable sort of word ids below 2**32: two 16-bit radix passes (linear time)."""
    words = np.asarray(words, dtype=np.int64)
    order = np.argsort((words & 0xFFFF).astype(np.uint16), kind="stable")
    high = (words[order] >> 16).astype(np.uint16)
    ordered: np.ndarray = order[np.argsort(high, kind="stable")]
    return ordered


class Arena:
    def __init__(self, words: int) -> None:
        self.start = np.zeros(words, dtype=np.int64)
        self.capacity = np.zeros(words, dtype=np.int64)
        self.lengths = np.zeros(words, dtype=np.int64)
        self._data = np.empty(0, dtype=np.uint64)
        self._used = 0  # the array's prefix that blocks, live or dead, occupy
        self._held = 0  # the live blocks' capacity

    @property
    def nbytes(self) -> int:
        tables = self.start.nbytes + self.capacity.nbytes + self.lengths.nbytes
        return int(self._data.nbytes) + tables

    def allocate(self, counts: np.ndarray) -> None:
        """Blocks of exactly these sizes for an empty arena (a bulk load's first pass)."""
        if self._used:
            raise ValueError("only an empty arena is allocated in bulk")
        counts = np.asarray(counts, dtype=np.int64)
        self.capacity = counts.copy()
        self.start = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=self.start[1:])
        self._used = self._held = int(counts.sum())
        self._data = np.empty(self._used, dtype=np.uint64)

    def append(self, words: np.ndarray, postings: np.ndarray) -> None:
        """Append postings, `words` sorted ascending (stably, so each list keeps order)."""
        touched, first, counts = runs(words)
        need = self.lengths[touched] + counts
        short = need > self.capacity[touched]
        if short.any():
            self._move(touched[short], need[short])
        rank = np.arange(len(words), dtype=np.int64) - np.repeat(first, counts)
        self._data[self.start[words] + self.lengths[words] + rank] = postings
        self.lengths[touched] = need

    def gather(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each word's postings, word after word (repeats read again), and their counts."""
        lengths = self.lengths[words]
        return self._data[ranges(self.start[words], lengths)], lengths

    def compact(self) -> None:
        """Blocks shrunk to their postings, end to end: no spare or dead room."""
        self._rebuild(self.lengths.copy())

    def _move(self, words: np.ndarray, need: np.ndarray) -> None:
        capacity = np.maximum(_MIN_CAPACITY, np.ceil(need * _GROWTH).astype(np.int64))
        extra = int(capacity.sum())
        if self._used + extra > len(self._data):
            dead = self._used - self._held
            if dead > _DEAD_SHARE * self._used:
                self._rebuild(self.capacity)
            if self._used + extra > len(self._data):
                self._resize(max(self._used + extra, int(len(self._data) * _GROWTH)))
        lengths = self.lengths[words]
        starts = np.zeros(len(words), dtype=np.int64)
        np.cumsum(capacity[:-1], out=starts[1:])
        starts += self._used
        self._data[ranges(starts, lengths)] = self._data[ranges(self.start[words], lengths)]
        self._held += extra - int(self.capacity[words].sum())
        self.start[words] = starts
        self.capacity[words] = capacity
        self._used += extra

    def _resize(self, size: int) -> None:
        data = np.empty(size, dtype=np.uint64)
        data[: self._used] = self._data[: self._used]
        self._data = data

    def _rebuild(self, capacity: np.ndarray) -> None:
        start = np.zeros(len(capacity), dtype=np.int64)
        np.cumsum(capacity[:-1], out=start[1:])
        data = np.empty(int(capacity.sum()), dtype=np.uint64)
        # A chunk of words at a time, so the position arrays stay small.
        for low in range(0, len(capacity), _CHUNK_WORDS):
            chunk = slice(low, low + _CHUNK_WORDS)
            lengths = self.lengths[chunk]
            data[ranges(start[chunk], lengths)] = self._data[ranges(self.start[chunk], lengths)]
        self._data, self.start, self.capacity = data, start, capacity.copy()
        self._used = self._held = len(data)
