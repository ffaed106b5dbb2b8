"""In-memory index of perceptual hashes over the registry, kept in step with the database.

The database is the truth; the index is a cache that any process can rebuild.
Fingerprint rows are only ever added, so a refresh loads rows past the last id
it saw. On PostgreSQL ids are handed out before commit, so a row with a smaller
id can become visible later: ids skipped over are re-checked for a while.

Search is the shared exact Hamming index (rights.hash_index) over pHashes; dHash of
the same orientation, kept beside each row, confirms the candidates.

A flat pHash (rights.fingerprints.is_flat_hash) is never matched on, whichever side it
is on: such rows are left out of the index (works registered before flat pictures were
refused may have them), and a flat query finds nothing.
"""

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from rights.fingerprints import (
    Fingerprints,
    HashKind,
    Orientation,
    flat_hashes,
    hamming,
    is_flat_hash,
)
from rights.hash_index import Batch, HashIndex
from rights.models import WorkFingerprint

GAP_RECHECK_SECONDS = 120.0
# A jump larger than this is a sequence reset or bulk import, not in-flight commits.
MAX_TRACKED_GAP = 10_000
# Rows read per statement (four per work): about 15 MB of Python tuples.
FETCH_BATCH = 100_000
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
    """pHash codes in a Hamming index; per row, the work, orientation and dHash."""

    def __init__(self) -> None:
        self._index = HashIndex(orientation=np.int8, dhash=np.int64)
        # Touched only inside the index's refresh, so under its lock.
        self._gaps: dict[int, float] = {}
        self._pending: dict[tuple[int, str], dict[str, int]] = {}
        self._more = False

    def __len__(self) -> int:
        return len(self._index)

    def memory_bytes(self) -> int:
        return self._index.memory_bytes()

    def refresh(self, session: Session) -> None:
        """Load fingerprint rows committed since the last refresh, FETCH_BATCH rows at a
        time: a cold start over a million works holds one batch of rows, not all."""
        self._more = True
        while self._more:
            self._more = False
            self._index.refresh(lambda last_id: self._fetch(session, last_id))

    def _fetch(self, session: Session, last_id: int) -> Batch | None:
        newest = session.exec(select(func.max(WorkFingerprint.id))).one() or 0
        self._forget_old_gaps()
        if newest <= last_id and not self._gaps:
            return None
        # Plain tuples, not ORM objects: a million works load in seconds, not minutes.
        columns = sa_select(
            col(WorkFingerprint.id),
            col(WorkFingerprint.work_id),
            col(WorkFingerprint.kind),
            col(WorkFingerprint.orientation),
            col(WorkFingerprint.value),
        )
        newer = columns.where(col(WorkFingerprint.id) > last_id)
        newer = newer.order_by(col(WorkFingerprint.id)).limit(FETCH_BATCH)
        rows = [tuple(r) for r in session.execute(newer)]
        self._more = len(rows) == FETCH_BATCH
        if self._gaps:
            late = columns.where(col(WorkFingerprint.id).in_(self._gaps))
            rows += [tuple(r) for r in session.execute(late)]
        return self._ingest(rows, last_id)

    def _ingest(self, rows: list[tuple[Any, ...]], last_id: int) -> Batch:
        """The (work, orientation) pairs these rows complete, as index rows."""
        now = time.monotonic()
        for row_id, work_id, kind, orientation, value in rows:
            assert row_id is not None
            self._gaps.pop(row_id, None)
            if row_id > last_id:
                if row_id - last_id <= MAX_TRACKED_GAP:
                    self._gaps.update((i, now) for i in range(last_id + 1, row_id))
                last_id = row_id
            self._pending.setdefault((work_id, orientation), {})[kind] = value
        complete = [
            (key, hashes)
            for key, hashes in self._pending.items()
            if HashKind.PHASH in hashes and HashKind.DHASH in hashes
        ]
        for key, _ in complete:
            del self._pending[key]
        complete = [(k, h) for k, h in complete if not is_flat_hash(h[HashKind.PHASH])]
        return Batch(
            last_id=last_id,
            codes=np.array([h[HashKind.PHASH] for _, h in complete], dtype=np.int64),
            keys=np.array([k[0] for k, _ in complete], dtype=np.int64),
            columns={
                "orientation": np.array(
                    [_ORIENTATIONS.index(Orientation(k[1])) for k, _ in complete], dtype=np.int8
                ),
                "dhash": np.array([h[HashKind.DHASH] for _, h in complete], dtype=np.int64),
            },
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
        phash = query.get(HashKind.PHASH, Orientation.ORIGINAL)
        if is_flat_hash(phash):
            return []
        hits = self._index.within(phash, phash_max)
        query_dhash = query.get(HashKind.DHASH, Orientation.ORIGINAL)
        best: dict[int, Match] = {}
        for distance, work_id, orientation, dhash in zip(
            hits.distance.tolist(),
            hits.key.tolist(),
            hits.columns["orientation"].tolist(),
            hits.columns["dhash"].tolist(),
            strict=True,
        ):
            d_distance = hamming(dhash, query_dhash)
            if d_distance > dhash_max:
                continue
            match = Match(
                work_id=work_id,
                orientation=_ORIENTATIONS[orientation],
                phash_distance=distance,
                dhash_distance=d_distance,
            )
            current = best.get(match.work_id)
            if current is None or match.distance < current.distance:
                best[match.work_id] = match
        return sorted(best.values(), key=lambda m: (m.distance, m.work_id))[:limit]

    def near_many(self, phashes: np.ndarray, phash_max: int) -> list[tuple[int, int, int]]:
        """(query position, work id, pHash distance) for every indexed row, in either
        orientation, within `phash_max` of any of many pHashes (flat ones find nothing):
        one batched scan."""
        positions = np.flatnonzero(~flat_hashes(phashes))
        hits = self._index.within(np.asarray(phashes, dtype=np.int64)[positions], phash_max)
        return list(
            zip(
                positions[hits.query].tolist(),
                hits.key.tolist(),
                hits.distance.tolist(),
                strict=True,
            )
        )
