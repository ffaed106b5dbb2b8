"""Which training items match which registered works (exact bytes, or perceptual hashes).

Links are kept current from both sides: when a model is registered, its items are
matched against every work; when a work is registered, it is matched against every
model's items. Both run under the audit log's lock (they append to it anyway), so a
model and a work registered at the same moment cannot miss each other.

A flat picture links to nothing (see rights.fingerprints.is_flat_hash): neither an item
whose pHash is flat, perceptually, nor a work registered flat before such works were
refused, even by the same bytes.
"""

from collections.abc import Sequence

import numpy as np
from sqlalchemy import insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from governance.aimodels.item_index import items_near
from governance.aimodels.models import ClearanceLink, TrainingItem
from governance.services import Services
from rights import registry
from rights.fingerprints import Fingerprints, HashKind, Orientation, is_flat_hash
from rights.models import Work

# Linking many items at once: one batched scan per this many perceptual hashes.
BATCH = 20_000


def link_model_items(session: Session, services: Services, model_id: int) -> int:
    """Match a newly registered model's items against every registered work."""
    exact = sa_select(col(TrainingItem.id), col(Work.id)).join(
        Work, col(Work.sha256) == col(TrainingItem.sha256)
    )
    same_bytes = list(session.execute(exact.where(col(TrainingItem.model_id) == model_id)))
    flat = registry.flat_works(session, {work for _, work in same_bytes})
    found: dict[tuple[int, int], tuple[str, int]] = {
        (item, work): ("exact", 0) for item, work in same_bytes if work not in flat
    }
    hashed = session.execute(
        sa_select(col(TrainingItem.id), col(TrainingItem.phash))
        .where(col(TrainingItem.model_id) == model_id, col(TrainingItem.phash).is_not(None))
        .order_by(col(TrainingItem.id))
    ).all()
    if hashed:
        services.match_index.refresh(session)
        item_ids = np.array([r[0] for r in hashed], dtype=np.int64)
        phashes = np.array([r[1] for r in hashed], dtype=np.int64)
        limit = services.settings.match_phash_max
        for start in range(0, len(hashed), BATCH):
            pairs = services.match_index.near_many(phashes[start : start + BATCH], limit)
            for position, work_id, distance in pairs:
                key = (int(item_ids[start + position]), work_id)
                if key not in found or found[key][1] > distance:
                    found[key] = ("perceptual", distance)
    _insert(session, [(model_id, item, work, m, d) for (item, work), (m, d) in found.items()])
    return len(found)


def link_new_work(
    session: Session, services: Services, work: Work, prints: Fingerprints
) -> set[int]:
    """Match a newly registered work against every model's items; the models it touches."""
    assert work.id is not None
    rows: dict[int, tuple[int, str, int]] = {}
    exact = sa_select(col(TrainingItem.id), col(TrainingItem.model_id)).where(
        col(TrainingItem.sha256) == work.sha256
    )
    for item_id, model_id in session.execute(exact):
        rows[item_id] = (model_id, "exact", 0)
    phashes = [prints.get(HashKind.PHASH, orientation) for orientation in Orientation]
    limit = services.settings.match_phash_max
    near = items_near(session, services.item_index, phashes, limit)
    flat_items = _flat_items(session, {item_id for item_id, _, _ in near})
    for item_id, model_id, distance in near:
        if item_id in flat_items:
            continue
        if item_id not in rows or rows[item_id][2] > distance:
            rows[item_id] = (model_id, "perceptual", distance)
    _insert(session, [(m, item, work.id, kind, d) for item, (m, kind, d) in rows.items()])
    return {m for m, _, _ in rows.values()}


def _flat_items(session: Session, item_ids: set[int]) -> set[int]:
    if not item_ids:
        return set()
    query = sa_select(col(TrainingItem.id), col(TrainingItem.phash)).where(
        col(TrainingItem.id).in_(item_ids)
    )
    return {i for i, phash in session.execute(query) if phash is not None and is_flat_hash(phash)}


def _insert(session: Session, rows: Sequence[tuple[int, int, int, str, int]]) -> None:
    if not rows:
        return
    session.execute(
        insert(ClearanceLink),
        [
            {"model_id": m, "item_id": i, "work_id": w, "match": kind, "distance": d}
            for m, i, w, kind, d in rows
        ],
    )


def models_linked_to(session: Session, work_id: int) -> list[int]:
    query = (
        sa_select(col(ClearanceLink.model_id))
        .where(col(ClearanceLink.work_id) == work_id)
        .distinct()
        .order_by(col(ClearanceLink.model_id))
    )
    return [m for (m,) in session.execute(query)]
