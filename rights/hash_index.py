"""One in-memory Hamming index over 64-bit perceptual hashes, for every owner that needs
one: registered works, training items, labelled outputs.

Each row is a hash, an int64 key (work, item or label id) and whatever int64 or int8
columns the owner declares (orientation, dHash, model id). Search is an exact flat scan
over binary codes with faiss, on one thread: on two cores OpenMP threads make one query
20-100x slower. Owners keep the database as the truth and the index as a cache: `refresh`
asks them for rows past the last id it saw, under the index's lock, so two threads never
load the same rows twice.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import faiss
import numpy as np

from rights.fingerprints import hash_codes

# The widest code there is: a radius past it would only make faiss keep everything anyway.
CODE_BITS = 64
_COLUMN_TYPES = (np.dtype(np.int64), np.dtype(np.int8))


@dataclass(frozen=True)
class Batch:
    """Rows for the index, and how far the source has been read to give them."""

    last_id: int  # the highest source row id read, where the next refresh starts
    codes: np.ndarray  # stored (signed) 64-bit hashes
    keys: np.ndarray
    columns: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Hits:
    """Rows within reach of the queries: one entry per (query, row), aligned arrays,
    ordered by query position, then distance, then key."""

    query: np.ndarray  # position of the query code among those searched
    distance: np.ndarray
    key: np.ndarray
    columns: Mapping[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.key)


class HashIndex:
    def __init__(self, **columns: type[np.signedinteger[Any]]) -> None:
        faiss.omp_set_num_threads(1)
        dtypes = {name: np.dtype(kind) for name, kind in columns.items()}
        for name, dtype in dtypes.items():
            if dtype not in _COLUMN_TYPES:
                raise ValueError(f"column {name!r}: only int64 and int8 columns, not {dtype}")
        self._lock = threading.Lock()
        self._codes = faiss.IndexBinaryFlat(CODE_BITS)
        self._keys = np.empty(0, dtype=np.int64)
        self._columns = {name: np.empty(0, dtype=dtype) for name, dtype in dtypes.items()}
        self._last_id = 0

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def last_id(self) -> int:
        return self._last_id

    def memory_bytes(self) -> int:
        per_row = 8 + 8 + sum(c.itemsize for c in self._columns.values())  # code, key, columns
        return per_row * len(self._keys)

    def add(
        self,
        codes: np.ndarray | Sequence[int],
        keys: np.ndarray | Sequence[int],
        **columns: np.ndarray | Sequence[int],
    ) -> None:
        """Add rows in one batch: stored (signed) hashes, their keys, every declared column."""
        with self._lock:
            self._add(codes, keys, columns)

    def refresh(self, fetch: Callable[[int], Batch | None]) -> int:
        """Add what `fetch(last id seen)` returns; the number of rows added.

        The lock is held while `fetch` runs, so a second thread waits and then asks only
        for rows past the first one's; `fetch` may keep bookkeeping of its own under it."""
        with self._lock:
            batch = fetch(self._last_id)
            if batch is None:
                return 0
            self._add(batch.codes, batch.keys, batch.columns)
            self._last_id = max(self._last_id, batch.last_id)
            return len(batch.keys)

    def within(self, codes: int | np.ndarray | Sequence[int], max_distance: int) -> Hits:
        """Every row within `max_distance` bits (inclusive) of any of the query hashes."""
        queries = hash_codes([codes] if isinstance(codes, int) else codes)
        # OpenMP's setting is per thread: requests run on worker threads the constructor's
        # call never reached.
        faiss.omp_set_num_threads(1)
        with self._lock:
            if not len(self._keys) or not len(queries):
                return self._hits(
                    np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
                )
            # range_search keeps distances strictly below the radius.
            limits, distances, rows = self._codes.range_search(queries, max_distance + 1)
            positions = np.repeat(np.arange(len(queries)), np.diff(limits).astype(np.int64))
            order = np.lexsort((self._keys[rows], distances, positions))
            return self._hits(positions[order], distances[order].astype(np.int64), rows[order])

    def _hits(self, positions: np.ndarray, distances: np.ndarray, rows: np.ndarray) -> Hits:
        return Hits(
            query=positions.astype(np.int64),
            distance=distances,
            key=self._keys[rows],
            columns={name: values[rows] for name, values in self._columns.items()},
        )

    def _add(
        self,
        codes: np.ndarray | Sequence[int],
        keys: np.ndarray | Sequence[int],
        columns: Mapping[str, np.ndarray | Sequence[int]],
    ) -> None:
        if set(columns) != set(self._columns):
            raise ValueError(
                f"rows need the columns {sorted(self._columns)}, not {sorted(columns)}"
            )
        as_codes = hash_codes(codes)
        new_keys = np.asarray(keys, dtype=np.int64)
        values = {n: np.asarray(columns[n], dtype=c.dtype) for n, c in self._columns.items()}
        if any(len(v) != len(as_codes) for v in (new_keys, *values.values())):
            raise ValueError("codes, keys and columns must have one entry per row")
        if not len(as_codes):
            return
        self._codes.add(as_codes)
        # Whole-array copies per batch: batches are rare beside searches, and the arrays
        # stay exactly the size of their rows.
        self._keys = np.concatenate([self._keys, new_keys])
        for name, column in values.items():
            self._columns[name] = np.concatenate([self._columns[name], column])
