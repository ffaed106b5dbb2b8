"""Labelled outputs' perceptual hashes in the shared Hamming index (`Services.label_index`,
keyed by label id, with each label's dHash), so that finding an output by its content
searches the index instead of every row of `output_labels`.

Label rows are only ever added, and always under the audit log's lock, which is held
until their transaction ends (the call's seal takes it before the label's row is
written in that transaction): ids commit in order, so a refresh past
the last id seen misses nothing, and no id below it can appear later.
"""

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from governance.credentials.models import OutputLabel
from rights.fingerprints import hamming
from rights.hash_index import Batch, HashIndex


def refresh_labels(session: Session, index: HashIndex) -> None:
    """Load the labels committed since the last refresh."""

    def fetch(last_id: int) -> Batch | None:
        query = (
            sa_select(col(OutputLabel.id), col(OutputLabel.phash), col(OutputLabel.dhash))
            .where(col(OutputLabel.id) > last_id)
            .order_by(col(OutputLabel.id))
        )
        rows = session.execute(query).all()
        if not rows:
            return None
        ids, phashes, dhashes = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
        return Batch(int(ids[-1]), phashes, ids, {"dhash": dhashes})

    index.refresh(fetch)


def labels_near(
    session: Session, index: HashIndex, phash: int, dhash: int, phash_max: int, dhash_max: int
) -> list[tuple[int, int]]:
    """(label id, pHash + dHash distance) of the labels whose pHash and dHash are both
    within reach, best first, ties by label id."""
    refresh_labels(session, index)
    hits = index.within(phash, phash_max)
    near = []
    for label_id, p_distance, label_dhash in zip(
        hits.key.tolist(), hits.distance.tolist(), hits.columns["dhash"].tolist(), strict=True
    ):
        d_distance = hamming(label_dhash, dhash)
        if d_distance <= dhash_max:
            near.append((label_id, p_distance + d_distance))
    return sorted(near, key=lambda n: (n[1], n[0]))


def labels_with_phash(session: Session, index: HashIndex, phash: int) -> list[int]:
    """Ids of the labels whose pHash is exactly `phash`, in id order."""
    refresh_labels(session, index)
    return sorted(index.within(phash, 0).key.tolist())
