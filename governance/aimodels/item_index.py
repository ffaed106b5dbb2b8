"""The perceptual hashes of every model's training items, in memory, for matching a newly
registered work against all of them at once.

Items are only ever added, and the rows that link them are written under the audit
log's lock (see links.py), so a refresh past the last id seen misses nothing.
"""

import threading

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from governance.aimodels.models import TrainingItem


class ItemIndex:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._item_ids = np.empty(0, dtype=np.int64)
        self._model_ids = np.empty(0, dtype=np.int64)
        self._phash = np.empty(0, dtype=np.uint64)
        self._last_id = 0

    def refresh(self, session: Session) -> None:
        with self._lock:
            query = (
                sa_select(col(TrainingItem.id), col(TrainingItem.model_id), col(TrainingItem.phash))
                .where(col(TrainingItem.id) > self._last_id, col(TrainingItem.phash).is_not(None))
                .order_by(col(TrainingItem.id))
            )
            rows = session.execute(query).all()
            if not rows:
                return
            ids, models, hashes = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
            self._item_ids = np.concatenate([self._item_ids, ids])
            self._model_ids = np.concatenate([self._model_ids, models])
            self._phash = np.concatenate([self._phash, hashes.view(np.uint64)])
            self._last_id = int(ids[-1])

    def near(self, phash: int, max_distance: int) -> list[tuple[int, int, int]]:
        """(item id, model id, distance) of items whose pHash is within `max_distance`."""
        with self._lock:
            query = np.array([phash], dtype=np.int64).view(np.uint64)[0]
            distances = np.bitwise_count(self._phash ^ query)
            hits = np.nonzero(distances <= max_distance)[0]
            return [
                (int(self._item_ids[i]), int(self._model_ids[i]), int(distances[i])) for i in hits
            ]
