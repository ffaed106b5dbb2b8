"""In-memory index of perceptual hashes over the registry, kept in step with the database.

The database is the truth; the index is a cache that any process can rebuild.
Fingerprint rows are only ever added, so a refresh loads rows past the last id
it saw. On PostgreSQL ids are handed out before commit, so a row with a smaller
id can become visible later: ids skipped over are re-checked for a while.

Search is an exact flat scan over binary codes (faiss, one thread: on two cores
OpenMP threads make one query 20-100x slower). pHash finds candidates, dHash of
the same orientation confirms them.
"""

import threading
import time
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from rights.fingerprints import Fingerprints, HashKind, Orientation, hamming
from rights.models import WorkFingerprint

GAP_RECHECK_SECONDS = 120.0
# A jump larger than this is a sequence reset or bulk import, not in-flight commits.
MAX_TRACKED_GAP = 10_000
_ORIENTATIONS = list(Orientation)


@dataclass(frozen=True)
class Match:
    work_id: int
    orientation: Orientation
    phash_distance: int
    dhash_distance: int

    @property
    def distance(self) -> int:
        return self.phash_distance + self.dhash_distance


class MatchIndex:
    """pHash codes in a faiss binary flat index; per row, the work, orientation and dHash."""

    def __init__(self) -> None:
        faiss.omp_set_num_threads(1)
        self._lock = threading.Lock()
        self._phash = faiss.IndexBinaryFlat(64)
        self._work_ids = np.empty(0, dtype=np.int64)
        self._orientations = np.empty(0, dtype=np.int8)
        self._dhash = np.empty(0, dtype=np.int64)
        self._last_id = 0
        self._gaps: dict[int, float] = {}
        self._pending: dict[tuple[int, str], dict[str, int]] = {}

    def __len__(self) -> int:
        return len(self._work_ids)

    def memory_bytes(self) -> int:
        per_row = 8 + 8 + 1 + 8  # phash code, work id, orientation, dhash
        return per_row * len(self._work_ids)

    def refresh(self, session: Session) -> None:
        """Load fingerprint rows committed since the last refresh."""
        with self._lock:
            newest = session.exec(select(func.max(WorkFingerprint.id))).one() or 0
            self._forget_old_gaps()
            if newest <= self._last_id and not self._gaps:
                return
            # Plain tuples, not ORM objects: a million works load in seconds, not minutes.
            columns = sa_select(
                col(WorkFingerprint.id),
                col(WorkFingerprint.work_id),
                col(WorkFingerprint.kind),
                col(WorkFingerprint.orientation),
                col(WorkFingerprint.value),
            )
            newer = columns.where(col(WorkFingerprint.id) > self._last_id)
            rows = [tuple(r) for r in session.execute(newer.order_by(col(WorkFingerprint.id)))]
            if self._gaps:
                late = columns.where(col(WorkFingerprint.id).in_(self._gaps))
                rows += [tuple(r) for r in session.execute(late)]
            self._ingest(rows)

    def _ingest(self, rows: list[tuple[Any, ...]]) -> None:
        now = time.monotonic()
        for row_id, work_id, kind, orientation, value in rows:
            assert row_id is not None
            self._gaps.pop(row_id, None)
            if row_id > self._last_id:
                if row_id - self._last_id <= MAX_TRACKED_GAP:
                    self._gaps.update((i, now) for i in range(self._last_id + 1, row_id))
                self._last_id = row_id
            self._pending.setdefault((work_id, orientation), {})[kind] = value
        complete = [
            (key, hashes)
            for key, hashes in self._pending.items()
            if HashKind.PHASH in hashes and HashKind.DHASH in hashes
        ]
        if not complete:
            return
        for key, _ in complete:
            del self._pending[key]
        codes = np.array([h[HashKind.PHASH] for _, h in complete], dtype=np.int64)
        self._phash.add(_as_codes(codes))
        self._work_ids = np.concatenate(
            [self._work_ids, np.array([k[0] for k, _ in complete], dtype=np.int64)]
        )
        orientations = [_ORIENTATIONS.index(Orientation(k[1])) for k, _ in complete]
        self._orientations = np.concatenate(
            [self._orientations, np.array(orientations, dtype=np.int8)]
        )
        self._dhash = np.concatenate(
            [self._dhash, np.array([h[HashKind.DHASH] for _, h in complete], dtype=np.int64)]
        )

    def _forget_old_gaps(self) -> None:
        # A gap still empty after this long was a rolled-back insert, not a late commit.
        cutoff = time.monotonic() - GAP_RECHECK_SECONDS
        for row_id in [i for i, seen in self._gaps.items() if seen < cutoff]:
            del self._gaps[row_id]

    def search(
        self, query: Fingerprints, phash_max: int, dhash_max: int, limit: int = 10
    ) -> list[Match]:
        """Works whose pHash and dHash are both within the limits, best first, one per work."""
        with self._lock:
            if not len(self._work_ids):
                return []
            code = _as_codes(
                np.array([query.get(HashKind.PHASH, Orientation.ORIGINAL)], dtype=np.int64)
            )
            # range_search keeps distances strictly below the radius.
            _, distances, labels = self._phash.range_search(code, phash_max + 1)
            query_dhash = query.get(HashKind.DHASH, Orientation.ORIGINAL)
            best: dict[int, Match] = {}
            for distance, row in zip(distances.tolist(), labels.tolist(), strict=True):
                d_distance = hamming(int(self._dhash[row]), query_dhash)
                if d_distance > dhash_max:
                    continue
                match = Match(
                    work_id=int(self._work_ids[row]),
                    orientation=_ORIENTATIONS[int(self._orientations[row])],
                    phash_distance=int(distance),
                    dhash_distance=d_distance,
                )
                current = best.get(match.work_id)
                if current is None or match.distance < current.distance:
                    best[match.work_id] = match
        return sorted(best.values(), key=lambda m: (m.distance, m.work_id))[:limit]

    def near_many(self, phashes: np.ndarray, phash_max: int) -> list[tuple[int, int, int]]:
        """(query position, work id, pHash distance) for every indexed row, in either
        orientation, within `phash_max` of any of many pHashes: one batched scan."""
        with self._lock:
            if not len(self._work_ids) or not len(phashes):
                return []
            limits, distances, labels = self._phash.range_search(
                _as_codes(phashes.astype(np.int64)), phash_max + 1
            )
            queries = np.repeat(np.arange(len(phashes)), np.diff(limits).astype(np.int64))
            works = self._work_ids[labels]
        return [
            (int(q), int(w), int(d))
            for q, w, d in zip(queries.tolist(), works.tolist(), distances.tolist(), strict=True)
        ]


def _as_codes(values: np.ndarray) -> np.ndarray:
    # faiss wants bytes; big-endian keeps the bit order of the hash's hex form.
    return values.astype(">i8").view(np.uint8).reshape(-1, 8)
