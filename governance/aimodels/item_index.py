"""The perceptual hashes of every model's training items, in the shared Hamming index
(`Services.item_index`, keyed by item id, with each item's model), for matching a newly
registered work against all of them at once.

Items are only ever added, and they are written under the audit log's lock (see
service.py), which is held until their transaction ends: ids commit in order, so a
refresh past the last id seen misses nothing.
"""

from collections.abc import Sequence

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from governance.aimodels.models import TrainingItem
from rights.hash_index import Batch, HashIndex


def refresh_items(session: Session, index: HashIndex) -> None:
    """Load the hashed items committed since the last refresh."""

    def fetch(last_id: int) -> Batch | None:
        query = (
            sa_select(col(TrainingItem.id), col(TrainingItem.model_id), col(TrainingItem.phash))
            .where(col(TrainingItem.id) > last_id, col(TrainingItem.phash).is_not(None))
            .order_by(col(TrainingItem.id))
        )
        rows = session.execute(query).all()
        if not rows:
            return None
        ids, models, hashes = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
        return Batch(int(ids[-1]), hashes, ids, {"model_id": models})

    index.refresh(fetch)


def items_near(
    session: Session, index: HashIndex, phashes: Sequence[int], max_distance: int
) -> list[tuple[int, int, int]]:
    """(item id, model id, distance) of items whose pHash is within `max_distance` of any
    of `phashes` (one scan for all of them), by query, then distance."""
    refresh_items(session, index)
    hits = index.within(np.array(phashes, dtype=np.int64), max_distance)
    keys, models, distances = hits.key, hits.columns["model_id"], hits.distance
    return list(zip(keys.tolist(), models.tolist(), distances.tolist(), strict=True))
