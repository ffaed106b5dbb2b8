"""The inverted file: for each visual word, the works' keypoints that have it.

A posting is one uint64: the work's slot (high 32 bits) and the keypoint's signature (low
32 bits: the first 32 bits of its ORB descriptor). A query keypoint votes for a posting
of its word only as far as their signatures agree (Hamming embedding): at scale, chance
meetings in a word outnumber a copy's true ones, and on the tuning split a signature
distance of at most 8 bits kept 95% of true pairs and a quarter of chance ones.

Memory: 8 bytes a posting, one posting per stored keypoint (4 KB for a work's 500), 12
bytes a work (id, posting count), 32 bytes a word (rights.nearcopy.arena's tables and the
document frequency); lists added to grow by half, so spare room until `compact` (a bulk
`load` leaves none). Works are only added, one at a time, in batches or in bulk, under a
lock that searches take too, only while they copy the lists they read.

Scoring is tf-idf: a vote weighs idf^2 (idf = log(1 + N / df), from the document frequencies
at query time, so it stays right as the index grows) times the signature agreement, and
a work's sum is divided by the square root of its posting count. Words found in more than
MAX_DF_SHARE of the works are skipped: they cost most and say least.
"""

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rights.nearcopy.arena import Arena, runs, word_order

# Words in more of the works than this share (and than MIN_DF_CAP works) are skipped.
# Measured among 100,000 synthetic works: 0.5% lost none of the tuning split's copies
# and cut the candidate stage from 11 to 3 ms; 0.2% lost 1.2% of them.
MAX_DF_SHARE = 0.005
MIN_DF_CAP = 100
MAX_SIGNATURE_DISTANCE = 8
# Vote weight by signature distance: a Gaussian of the distance, cut past the maximum.
_AGREEMENT = np.where(
    np.arange(33) <= MAX_SIGNATURE_DISTANCE, np.exp(-((np.arange(33) / 6.0) ** 2)), 0.0
)
_LOW = np.uint64(0xFFFFFFFF)


@dataclass(frozen=True)
class Candidate:
    work_id: int
    score: float
    votes: int  # query keypoints' agreeing postings of the work


def signatures(descriptors: np.ndarray) -> np.ndarray:
    """Each ORB descriptor's signature: its first 32 bits, as a uint32."""
    codes = np.ascontiguousarray(np.asarray(descriptors, dtype=np.uint8)[:, :4])
    return codes.view("<u4").reshape(-1).astype(np.uint32)


# One batch of works: their ids, and per work its keypoints' words and signatures.
Batch = tuple[Sequence[int], Sequence[np.ndarray], Sequence[np.ndarray]]


@dataclass(frozen=True, eq=False)
class Packed:
    """A batch of works end to end: their ids, each one's number of postings, then all
    their words and signatures in that order. A bulk load of a million works spends its
    time in per-work Python calls unless the works come like this."""

    work_ids: np.ndarray  # int64
    counts: np.ndarray  # int64, postings per work
    words: np.ndarray  # int64
    signatures: np.ndarray  # uint32


class WordIndex:
    def __init__(self, words: int) -> None:
        if not 0 < words <= 1 << 32:
            raise ValueError("between 1 and 2**32 visual words")
        self._lock = threading.Lock()
        self._words = words
        self._postings = Arena(words)
        self._df = np.zeros(words, dtype=np.int64)  # works with the word
        self._ids = np.empty(0, dtype=np.int64)
        self._counts = np.empty(0, dtype=np.float32)  # postings per work
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def memory_bytes(self) -> int:
        """Bytes held: postings (with their spare and dead room) and every table."""
        with self._lock:
            tables = self._ids.nbytes + self._counts.nbytes + self._df.nbytes
            return self._postings.nbytes + tables

    def add(self, work_id: int, words: np.ndarray, signatures: np.ndarray) -> None:
        """Add one work: its keypoints' words and signatures (aligned, one each)."""
        self.add_many([work_id], [words], [signatures])

    def add_many(
        self,
        work_ids: Sequence[int],
        words: Sequence[np.ndarray],
        signatures: Sequence[np.ndarray],
    ) -> None:
        """Add works in one batch: one sort, one scatter."""
        packed = self._packed((work_ids, words, signatures))
        with self._lock:
            words_sorted, postings, first = self._rows(packed)
            self._postings.append(words_sorted, postings)
            self._size = first + len(packed.work_ids)

    def load(self, batches: Callable[[], Iterable[Batch | Packed]]) -> int:
        """Fill an empty index in bulk, reading `batches()` twice: once to size every
        list, once to fill them. Peak memory is the index itself and one batch, with no
        spare room. The two readings must give the same works. The number loaded."""
        with self._lock:
            if self._size:
                raise ValueError("only an empty index is loaded in bulk")
            try:
                return self._load(batches)
            except BaseException:
                self._clear()
                raise

    def _clear(self) -> None:
        self._postings = Arena(self._words)
        self._df[:] = 0
        self._size = 0

    def _load(self, batches: Callable[[], Iterable[Batch | Packed]]) -> int:
        counts = np.zeros(self._words, dtype=np.int64)
        for batch in batches():
            packed = self._packed(batch)
            if len(packed.words):
                counts += np.bincount(packed.words, minlength=self._words)
        self._postings.allocate(counts)
        for batch in batches():
            packed = self._packed(batch)
            words_sorted, postings, _ = self._rows(packed)
            touched, _, added = runs(words_sorted)
            room = self._postings.capacity[touched] - self._postings.lengths[touched]
            if np.any(added > room):
                raise ValueError("the second reading gave works the first did not")
            self._postings.append(words_sorted, postings)
            self._size += len(packed.work_ids)
        return self._size

    def _packed(self, batch: Batch | Packed) -> Packed:
        """The batch end to end, checked: one word and one signature per posting, and
        words within the vocabulary."""
        if isinstance(batch, Packed):
            packed = Packed(
                np.asarray(batch.work_ids, dtype=np.int64).reshape(-1),
                np.asarray(batch.counts, dtype=np.int64).reshape(-1),
                np.asarray(batch.words, dtype=np.int64).reshape(-1),
                np.asarray(batch.signatures, dtype=np.uint32).reshape(-1),
            )
            if len(packed.counts) != len(packed.work_ids) or packed.counts.sum() != len(
                packed.words
            ):
                raise ValueError("one posting count per work, and as many words as counted")
            if len(packed.signatures) != len(packed.words):
                raise ValueError("one signature per word")
        else:
            work_ids, words, signatures = batch
            if not len(work_ids) == len(words) == len(signatures):
                raise ValueError("one word array and one signature array per work")
            word_arrays = [np.asarray(w, dtype=np.int64).reshape(-1) for w in words]
            codes = [np.asarray(c, dtype=np.uint32).reshape(-1) for c in signatures]
            if any(len(w) != len(c) for w, c in zip(word_arrays, codes, strict=True)):
                raise ValueError("one signature per word")
            packed = Packed(
                np.asarray(work_ids, dtype=np.int64).reshape(-1),
                np.array([len(w) for w in word_arrays], dtype=np.int64),
                np.concatenate(word_arrays) if word_arrays else np.empty(0, np.int64),
                np.concatenate(codes) if codes else np.empty(0, np.uint32),
            )
        if len(packed.words) and (packed.words.min() < 0 or packed.words.max() >= self._words):
            raise ValueError(f"visual words are 0..{self._words - 1}")
        return packed

    def _rows(self, packed: Packed) -> tuple[np.ndarray, np.ndarray, int]:
        """Give the works slots; their postings sorted by word (then slot), document
        frequencies counted. Returns the words, postings and first slot."""
        first = self._size
        end = first + len(packed.work_ids)
        self._grow_rows(end)
        self._ids[first:end] = packed.work_ids
        self._counts[first:end] = np.maximum(packed.counts, 1)
        if not len(packed.words):
            return np.empty(0, np.int64), np.empty(0, np.uint64), first
        all_words = packed.words
        slots = np.repeat(np.arange(first, end, dtype=np.uint64), packed.counts)
        postings = (slots << np.uint64(32)) | packed.signatures.astype(np.uint64)
        order = word_order(all_words)
        all_words, postings = all_words[order], postings[order]
        # Sorted by word, then (stably) by slot: a new (word, work) pair starts where
        # either changes.
        new_pair = np.ones(len(all_words), dtype=bool)
        new_pair[1:] = (all_words[1:] != all_words[:-1]) | (
            (postings[1:] >> np.uint64(32)) != (postings[:-1] >> np.uint64(32))
        )
        counted = all_words[new_pair]
        if len(counted) * 64 < self._words:
            # One work's few hundred words: a count over the whole vocabulary (8 MB at a
            # million words) was most of adding it.
            np.add.at(self._df, counted, 1)
        else:
            self._df += np.bincount(counted, minlength=self._words)
        return all_words, postings, first

    def compact(self) -> None:
        """Drop the lists' spare and dead room (after bulk adds)."""
        with self._lock:
            self._postings.compact()
            self._ids = self._ids[: self._size].copy()
            self._counts = self._counts[: self._size].copy()

    def candidates(self, words: np.ndarray, signatures: np.ndarray, limit: int) -> list[Candidate]:
        """The `limit` best-voted works. `words` is N x M (each query keypoint's M words,
        -1 for none), `signatures` its N signatures."""
        words = np.asarray(words, dtype=np.int64).reshape(len(signatures), -1)
        entry_words = words.reshape(-1)
        entry_codes = np.repeat(np.asarray(signatures, dtype=np.uint32), words.shape[1])
        valid = (entry_words >= 0) & (entry_words < self._words)
        entry_words, entry_codes = entry_words[valid], entry_codes[valid]
        with self._lock:
            size = self._size
            if not size or not len(entry_words):
                return []
            df = self._df[entry_words]
            keep = (df > 0) & (df <= max(MIN_DF_CAP, MAX_DF_SHARE * size))
            entry_words, entry_codes = entry_words[keep], entry_codes[keep]
            if not len(entry_words):
                return []
            idf = np.log1p(size / self._df[entry_words])
            # Each entry's whole list, entry after entry: pairs come out aligned.
            joined, lengths = self._postings.gather(entry_words)
            ids = self._ids[:size]
            counts = self._counts[:size]
        weights, votes = _votes(joined, lengths, entry_codes, idf, size)
        scores = weights / np.sqrt(counts)
        limit = min(limit, size)
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[scores[top] > 0]
        top = top[np.lexsort((ids[top], -scores[top]))]
        return [Candidate(int(ids[s]), float(scores[s]), int(votes[s])) for s in top]

    def _grow_rows(self, needed: int) -> None:
        if needed <= len(self._ids):
            return
        capacity = max(needed, 2 * len(self._ids), 16)
        ids = np.empty(capacity, dtype=np.int64)
        counts = np.empty(capacity, dtype=np.float32)
        ids[: self._size] = self._ids[: self._size]
        counts[: self._size] = self._counts[: self._size]
        self._ids, self._counts = ids, counts


_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _popcount(values: np.ndarray) -> np.ndarray:
    """Set bits of each uint32 (numpy >= 2 has it built in; 1.26 is still supported)."""
    if hasattr(np, "bitwise_count"):
        counted: np.ndarray = np.bitwise_count(values)
        return counted
    as_bytes = np.ascontiguousarray(values, dtype="<u4").view(np.uint8).reshape(-1, 4)
    summed: np.ndarray = _BYTE_BITS[as_bytes].sum(axis=1, dtype=np.int64)
    return summed


def _votes(
    joined: np.ndarray,
    lengths: np.ndarray,
    entry_codes: np.ndarray,
    idf: np.ndarray,
    size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each slot's weighted votes and count of votes: every query entry against every
    posting of its word (`joined`: each entry's list, entry after entry)."""
    codes = (joined & _LOW).astype(np.uint32)
    distance = _popcount(codes ^ np.repeat(entry_codes, lengths))
    close = np.flatnonzero(distance <= MAX_SIGNATURE_DISTANCE)
    entry_of_close = np.searchsorted(np.cumsum(lengths), close, side="right")
    weights = _AGREEMENT[distance[close]] * (idf * idf)[entry_of_close]
    slots = (joined[close] >> np.uint64(32)).astype(np.int64)
    return np.bincount(slots, weights=weights, minlength=size), np.bincount(slots, minlength=size)
