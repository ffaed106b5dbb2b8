"""The training items of a model nearest to its output, by perceptual hash.

Training items are known by what their manifest gave (rights.training_manifests): the
file's SHA-256 and, where the manifest had one or the file itself, its pHash. The nearest
are those whose pHash lies fewest bits from the output's, in either orientation, among the
model's items whose pHash is not flat (a flat hash says nothing: rights.fingerprints).
Items are only ever added with their model, so a rebuild reads the same ones.
"""

from dataclasses import dataclass

import numpy as np
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from governance.aimodels.models import ClearanceLink, TrainingDataset, TrainingItem
from rights.fingerprints import Fingerprints, HashKind, Orientation, flat_hashes

NEAREST_ITEMS = 5


@dataclass(frozen=True)
class ItemFound:
    item: TrainingItem
    dataset: TrainingDataset
    distance: int
    orientation: str
    links: list[ClearanceLink]


@dataclass(frozen=True)
class NearestItems:
    found: list[ItemFound]  # nearest first
    compared: int
    total: int


def model_item_count(session: Session, model_id: int) -> int:
    query = select(func.count()).select_from(TrainingItem).where(TrainingItem.model_id == model_id)
    return int(session.exec(query).one())


def nearest_items(
    session: Session, model_id: int, prints: Fingerprints, max_work_id: int, k: int = NEAREST_ITEMS
) -> NearestItems:
    """The `k` items of `model_id` nearest to `prints` by pHash; their clearance links to
    works with ids up to `max_work_id`."""
    total = model_item_count(session, model_id)
    if prints.flat:
        return NearestItems([], 0, total)
    rows = session.execute(
        sa_select(col(TrainingItem.id), col(TrainingItem.phash)).where(
            col(TrainingItem.model_id) == model_id, col(TrainingItem.phash).is_not(None)
        )
    ).all()
    if not rows:
        return NearestItems([], 0, total)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    codes = np.array([r[1] for r in rows], dtype=np.int64)
    usable = ~flat_hashes(codes)
    # Unsigned: numpy counts the bits of a signed number's absolute value.
    ids, codes = ids[usable], codes[usable].view(np.uint64)
    orientations = list(Orientation)
    queries = np.array([prints.get(HashKind.PHASH, o) for o in orientations], np.int64)
    # Bits apart per orientation of the output; each item keeps its closer one.
    apart = np.bitwise_count(codes[None, :] ^ queries.view(np.uint64)[:, None]).astype(np.int64)
    closer = np.argmin(apart, axis=0)
    distances = apart[closer, np.arange(len(ids))]
    order = np.lexsort((ids, distances))[:k]
    chosen = {int(ids[i]): (int(distances[i]), orientations[int(closer[i])].value) for i in order}
    return NearestItems(_details(session, model_id, chosen, max_work_id), int(usable.sum()), total)


def _details(
    session: Session, model_id: int, chosen: dict[int, tuple[int, str]], max_work_id: int
) -> list[ItemFound]:
    if not chosen:
        return []
    items = {
        i.id: i for i in session.exec(select(TrainingItem).where(col(TrainingItem.id).in_(chosen)))
    }
    datasets = {
        d.position: d
        for d in session.exec(select(TrainingDataset).where(TrainingDataset.model_id == model_id))
    }
    links: dict[int, list[ClearanceLink]] = {}
    query = (
        select(ClearanceLink)
        .where(col(ClearanceLink.item_id).in_(chosen), col(ClearanceLink.work_id) <= max_work_id)
        .order_by(col(ClearanceLink.item_id), col(ClearanceLink.work_id))
    )
    for link in session.exec(query):
        links.setdefault(link.item_id, []).append(link)
    found = []
    for item_id, (distance, orientation) in chosen.items():
        item = items[item_id]
        dataset = datasets[item.dataset_position]
        found.append(ItemFound(item, dataset, distance, orientation, links.get(item_id, [])))
    return found
