"""The near-copy word index over the registry, kept in step with the database.

As with rights.match_index, the database is the truth and the index a cache any process
rebuilds. The first refresh loads every stored row in bulk (NearCopyIndex.load: two
readings of the table in batches of LOAD_BATCH rows by id, so peak memory is the index
and one batch, never every row at once); later refreshes add the rows past the last id
seen. On PostgreSQL ids are handed out before commit, so a row with a smaller id can
become visible later: ids skipped over near the end are re-checked for a while.

Rows made with another vocabulary than this index's are left out (their words mean
nothing here); `govern works reindex` remakes them.
"""

import threading
import time
from collections.abc import Iterator, Sequence

import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from rights.models import WorkNearCopy
from rights.nearcopy import NearCopyIndex, Postings, WorkRecord
from rights.nearcopy.vocabulary import Vocabulary, default_vocabulary

GAP_RECHECK_SECONDS = 120.0
# Only ids this close below the newest are tracked as gaps: older ones are rolled-back
# inserts, not commits still in flight.
MAX_TRACKED_GAP = 10_000
# Rows read per statement: about 4 KB of postings each, so 8 MB a batch; the index's
# sorting of a batch takes some 30 bytes a posting more while it runs (at 5,000 rows the
# load peaked 190 MB above the loaded index).
LOAD_BATCH = 2_000


class StoredNearCopyIndex:
    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self._vocabulary = vocabulary
        self._index: NearCopyIndex | None = None
        self._lock = threading.Lock()
        self._last_id = 0
        self._loaded = False
        self._gaps: dict[int, float] = {}

    @property
    def index(self) -> NearCopyIndex:
        """The word index (made on first use: its tables take 32 MB even when empty)."""
        if self._index is None:
            self._index = NearCopyIndex(self._vocabulary or default_vocabulary())
        return self._index

    @property
    def vocabulary_id(self) -> str:
        return self.index.vocabulary.id.hex()

    @property
    def loaded(self) -> bool:
        return self._loaded

    def __len__(self) -> int:
        return len(self._index) if self._index is not None else 0

    def memory_bytes(self) -> int:
        return self._index.memory_bytes() if self._index is not None else 0

    def refresh(self, session: Session) -> int:
        """Load every row in bulk the first time, then the rows committed since; the
        number of works added. `session` should read outside a transaction."""
        with self._lock:
            if not self._loaded:
                added = self._load(session)
                self._loaded = True
                return added
            return self._refresh(session)

    def _newest(self, session: Session) -> int:
        newest = session.execute(sa_select(func.max(col(WorkNearCopy.id)))).scalar()
        return int(newest or 0)

    def _page(self, session: Session, after: int, top: int) -> list[tuple[int, int, bytes]]:
        query = (
            sa_select(col(WorkNearCopy.id), col(WorkNearCopy.work_id), col(WorkNearCopy.postings))
            .where(
                col(WorkNearCopy.id) > after,
                col(WorkNearCopy.id) <= top,
                col(WorkNearCopy.vocabulary_id) == self.vocabulary_id,
            )
            .order_by(col(WorkNearCopy.id))
            .limit(LOAD_BATCH)
        )
        return [(int(i), int(w), bytes(p)) for i, w, p in session.execute(query)]

    def _load(self, session: Session) -> int:
        top = self._newest(session)
        # The ids the first reading saw: the second keeps to them, so that a row that
        # commits between the readings (a late id on PostgreSQL) cannot unbalance the
        # sizing; it is picked up as a gap instead.
        seen: list[np.ndarray] = []
        first = True

        def batches() -> Iterator[tuple[list[int], list[bytes]]]:
            nonlocal first
            allowed = None if first else np.concatenate(seen) if seen else np.empty(0, np.int64)
            after = 0
            while True:
                rows = self._page(session, after, top)
                if not rows:
                    break
                after = rows[-1][0]
                ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
                if allowed is None:
                    seen.append(ids)
                else:
                    rows = [r for r, keep in zip(rows, _among(ids, allowed), strict=True) if keep]
                yield [w for _, w, _ in rows], [data for _, _, data in rows]
            first = False

        loaded = self.index.load_stored(batches)
        ids = np.concatenate(seen) if seen else np.empty(0, np.int64)
        self._last_id = top
        self._track_gaps(ids, 0, top)
        return loaded

    def _refresh(self, session: Session) -> int:
        newest = self._newest(session)
        self._forget_old_gaps()
        if newest <= self._last_id and not self._gaps:
            return 0
        added = 0
        if self._gaps:
            query = sa_select(
                col(WorkNearCopy.id), col(WorkNearCopy.work_id), col(WorkNearCopy.postings)
            ).where(
                col(WorkNearCopy.id).in_(list(self._gaps)),
                col(WorkNearCopy.vocabulary_id) == self.vocabulary_id,
            )
            late = [(int(i), int(w), bytes(p)) for i, w, p in session.execute(query)]
            added += self._add(late)
            for row_id, _, _ in late:
                self._gaps.pop(row_id, None)
        while newest > self._last_id:
            rows = self._page(session, self._last_id, newest)
            if not rows:
                self._track_gaps(np.empty(0, np.int64), self._last_id, newest)
                self._last_id = newest
                break
            ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
            end = newest if len(rows) < LOAD_BATCH else int(ids[-1])
            self._track_gaps(ids, self._last_id, end)
            added += self._add(rows)
            self._last_id = end
        return added

    def _add(self, rows: list[tuple[int, int, bytes]]) -> int:
        if rows:
            self.index.add_postings((w, Postings.from_bytes(p)) for _, w, p in rows)
        return len(rows)

    def _track_gaps(self, ids: np.ndarray, after: int, upto: int) -> None:
        """Remember the ids in (after, upto] that were not read, near the newest."""
        low = max(after, upto - MAX_TRACKED_GAP)
        if upto <= low:
            return
        missing = np.setdiff1d(np.arange(low + 1, upto + 1, dtype=np.int64), ids)
        now = time.monotonic()
        self._gaps.update((int(i), now) for i in missing)

    def _forget_old_gaps(self) -> None:
        # A gap still empty after this long was a rolled-back insert, not a late commit.
        cutoff = time.monotonic() - GAP_RECHECK_SECONDS
        for row_id in [i for i, seen in self._gaps.items() if seen < cutoff]:
            del self._gaps[row_id]

    def records(self, session: Session, work_ids: Sequence[int]) -> dict[int, WorkRecord]:
        """The stored records of these works (those with none, or another vocabulary's,
        are left out)."""
        if not work_ids:
            return {}
        query = sa_select(col(WorkNearCopy.work_id), col(WorkNearCopy.record)).where(
            col(WorkNearCopy.work_id).in_(list(work_ids)),
            col(WorkNearCopy.vocabulary_id) == self.vocabulary_id,
        )
        return {int(w): WorkRecord.from_bytes(bytes(r)) for w, r in session.execute(query)}


def _among(ids: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Which of `ids` are in `allowed` (sorted): a binary search, not a sort per batch."""
    if not len(allowed):
        return np.zeros(len(ids), dtype=bool)
    positions = np.minimum(np.searchsorted(allowed, ids), len(allowed) - 1)
    found: np.ndarray = allowed[positions] == ids
    return found
