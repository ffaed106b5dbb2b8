"""The registered works nearest to a generation's output, by the screening index.

Candidates come the ways the screen finds them (the near-copy word index's best-voted
works, verified; the same pixels; the global hashes) plus the pHash neighbours a little
past the service's bar, and the works the call's own screen listed. Each candidate is then
measured alone: the near-copy search over that one work, in every pass it runs, with the
verifier's lowest bar, so its number depends on the output and that work's record and on
nothing else in the registry (a rebuild reproduces it however the registry grew).

Only the public parts of rights.nearcopy and of the service's shared indexes are used,
read-only: the screen's own function (governance.works.nearcopy) is a domain's, which
the core may not import.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from PIL import Image
from sqlmodel import Session

from governance.services import Services
from rights import registry
from rights.fingerprints import Fingerprints
from rights.hash_index import CODE_BITS
from rights.match_index import Match
from rights.nearcopy import CANDIDATES, MIN_INLIERS, NearCopy, WorkRecord
from rights.nearcopy.search import PASSES

# The screen's review bar (governance.works.nearcopy.REVIEW_MIN_INLIERS): restated, as the
# core may not import a domain; tests/reports/test_generation_parts.py checks they agree.
REVIEW_MIN_INLIERS = 10
# The fewest points the verifier reports at all (rights.nearcopy.verify: its floor of 4):
# resemblances this weak are listed, never acted on; on the matcher's bench, unrelated
# pictures reached up to 9.
LISTED_MIN_INLIERS = 4
# pHash neighbours this close (of 64 bits) are measured too: unrelated photographs lie
# 24-40 bits apart, the service's own bar (settings.match_phash_max) is 12.
PHASH_RADIUS = 20
HASH_NEIGHBOURS = 20
# Hash hits read before the report's own cut (works newer than the report left out).
HASH_LIMIT = 1000
NEAREST_WORKS = 5


@dataclass(frozen=True)
class Measured:
    work_id: int
    same_pixels: bool
    copy: NearCopy | None  # the best verified geometry, measured alone
    hashes: tuple[int, int, str] | None  # pHash, dHash distances, orientation
    hash_match: bool  # both hashes within the service's bars: the screen's "hash" match

    @property
    def points(self) -> int:
        return self.copy.inliers if self.copy is not None else 0

    @property
    def score(self) -> float:
        if self.same_pixels:
            return 1.0
        return self.copy.score if self.copy is not None else 0.0

    @property
    def band(self) -> str:
        if self.same_pixels or self.points >= MIN_INLIERS or self.hash_match:
            return "match"
        return "review" if self.points >= REVIEW_MIN_INLIERS else "below"

    @property
    def method(self) -> str:
        # As the screen names them: a hash match stays "hash" once verified too.
        if self.same_pixels:
            return "exact"
        if self.hash_match:
            return "hash"
        return "local_features" if self.points else "perceptual_hash"

    def rank_key(self) -> tuple[int, bool, int, int, int]:
        phash = self.hashes[0] if self.hashes is not None else CODE_BITS + 1
        order = ("match", "review", "below").index(self.band)
        return (order, not self.same_pixels, -self.points, phash, self.work_id)


@dataclass(frozen=True)
class NearestWorks:
    ranked: list[Measured]  # every candidate with some resemblance, nearest first
    measured: int


def nearest_works(
    session: Session,
    services: Services,
    image: Image.Image,
    prints: Fingerprints,
    max_work_id: int,
    screened: Collection[int] = (),
    also: Collection[int] = (),
) -> NearestWorks:
    """Works with ids up to `max_work_id` nearest to `image`, measured one by one; those
    the call's own screen listed (`screened`) are measured and kept whatever they measure,
    `also` (a rebuild's: the works its report listed) measured and kept as any other.
    `session` reads outside a transaction (the shared indexes refresh through it)."""
    if prints.flat:
        return NearestWorks([], 0)
    store = services.near_copy_index
    store.refresh(session)

    def load(ids: Sequence[int]) -> dict[int, WorkRecord]:
        return store.records(session, [i for i in ids if i <= max_work_id])

    exact = registry.work_by_pixels(session, prints.pixel_sha256)
    exact_id = exact.id if exact is not None and (exact.id or 0) <= max_work_id else None
    matched = {m.work_id for m in _hash_hits(session, services, prints, max_work_id)}
    near = [
        m.work_id
        for m in _hash_neighbours(session, services, prints, max_work_id)[:HASH_NEIGHBOURS]
    ]
    # Works newer than the report can push older ones out of the vote, never in: a rebuild
    # verifies the works its report listed in every pass whatever the vote.
    listed = sorted(w for w in also if w <= max_work_id)
    voted = store.index.search(image, load, also=listed, min_inliers=LISTED_MIN_INLIERS)
    candidates = list(
        dict.fromkeys(
            [
                *([exact_id] if exact_id is not None else []),
                *(w for w in sorted(screened) if w <= max_work_id),
                *listed,
                *sorted(matched),
                *near,
                *(m.work_id for m in voted),
            ]
        )
    )
    hashes = registry.closest_hashes(session, prints, set(candidates))
    found = []
    for work_id in candidates:
        alone = store.index.search(
            image, load, also=[work_id], candidates=0, min_inliers=LISTED_MIN_INLIERS
        )
        copy = alone[0] if alone else None
        measured = Measured(
            work_id=work_id,
            same_pixels=work_id == exact_id,
            copy=copy,
            hashes=hashes.get(work_id),
            hash_match=work_id in matched,
        )
        within = measured.hashes is not None and measured.hashes[0] <= PHASH_RADIUS
        # A work the call's own screen listed stays listed, found again or not.
        kept = work_id in screened or measured.same_pixels or measured.hash_match
        if kept or copy is not None or within:
            found.append(measured)
    return NearestWorks(sorted(found, key=Measured.rank_key), len(candidates))


def _hash_hits(
    session: Session, services: Services, prints: Fingerprints, max_work_id: int
) -> list[Match]:
    """Works within the service's pHash and dHash bars: the screen's hash matches."""
    index, settings = services.match_index, services.settings
    index.refresh(session)
    found = index.search(prints, settings.match_phash_max, settings.match_dhash_max, HASH_LIMIT)
    return [m for m in found if m.work_id <= max_work_id]


def _hash_neighbours(
    session: Session, services: Services, prints: Fingerprints, max_work_id: int
) -> list[Match]:
    """Works within PHASH_RADIUS by pHash alone, closest first."""
    index = services.match_index
    index.refresh(session)
    found = index.search(prints, PHASH_RADIUS, CODE_BITS, HASH_LIMIT)
    kept = [m for m in found if m.work_id <= max_work_id]
    return sorted(kept, key=lambda m: (m.phash_distance, m.work_id))


def thresholds_passes() -> list[str]:
    return [variant.value for variant in PASSES]


__all__ = [
    "CANDIDATES",
    "HASH_NEIGHBOURS",
    "LISTED_MIN_INLIERS",
    "NEAREST_WORKS",
    "PHASH_RADIUS",
    "REVIEW_MIN_INLIERS",
    "Measured",
    "NearestWorks",
    "nearest_works",
]
