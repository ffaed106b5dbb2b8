"""Near copies of registered works in an image, and what was altered in each.

Three ways in, all verified the same way: the image's exact pixels, its global hashes
(pHash + dHash, both orientations: near-exact copies), and its visual words (the word
index's top candidates: crops, turns, flips, borders, overlays, negatives). Every
candidate is checked against the work's stored record by RANSAC over one-to-one ORB
matches (rights.nearcopy), which gives the transform; each accepted match is then
compared with the work's stored reduced copy (rights.alterations) for altered regions.

A match the geometry could not confirm is still reported where the old evidence holds
on its own: the same pixels (method exact), or hashes within the service's thresholds on
a work that has no near-copy record yet or too little texture to verify (method hash,
no transform). A flat picture matches nothing.

Reads go through the caller's session, which must not be inside a transaction while
this runs (governance.db: reads before `begin_write`); nothing is written.
"""

from dataclasses import replace

import numpy as np
from PIL import Image
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from governance.images import rgb_pixels
from governance.services import Services
from governance.works.nearcopy_schemas import (
    BoxOut,
    MatchBand,
    MatchMethod,
    NearCopyOut,
    RegionOut,
    TransformOut,
)
from governance.works.nearcopy_store import analysis_pixels
from rights import registry
from rights.alterations import AlterationInputError, find_alterations
from rights.fingerprints import Fingerprints, fingerprint
from rights.match_index import Match
from rights.models import Work, WorkNearCopy
from rights.nearcopy import MIN_INLIERS, Box, NearCopy, Variant
from rights.nearcopy.features import Features
from rights.nearcopy.search import CANDIDATES, PASSES

# The review band's bar, from the bench's impostors (bench/bench_nearcopy.py's material:
# 250 distractors a split, each searched in all four passes against its ten best-voted
# candidates among 100,000 fillers): since guided matching (rights.nearcopy.guided) the
# most inliers any distractor reached is 9 on the tuning split (5 held out; before it,
# 8 and 4), while the weakest true copies have 18-53. At 10 no tuning impostor reaches
# the band, and a person sees partial resemblances of 10-11 verified points.
REVIEW_MIN_INLIERS = 10
# Hash hits passed on to be verified, at least: more only when the caller asks for more.
HASH_CANDIDATES = 20
EXACT_SCORE = 1.0
# A hash hit that could not be verified passed the service's hash thresholds, no more.
HASH_SCORE = 0.5


def find_near_copies(
    session: Session,
    services: Services,
    image: Image.Image,
    *,
    limit: int = 10,
    review: bool = False,
    pixel_sha256: str | None = None,
    alterations: bool = True,
    passes: tuple[Variant, ...] = PASSES,
    given: dict[Variant, Features] | None = None,
    among: set[int] | None = None,
    prints: Fingerprints | None = None,
) -> list[NearCopyOut]:
    """Registered works that `image` copies, best first: exact pixels, then by score.

    `pixel_sha256` is that of the full image where `image` is a reduced copy of it.
    `review` adds weaker resemblances (REVIEW_MIN_INLIERS) in band "review".
    `alterations=False` skips the comparison with each work (callers that only decide).
    `passes` and `given` are for registration's quicker search (rights.nearcopy);
    `among` keeps to these works alone, verified without voting (registration's check of
    the works registered while it searched); `prints`, the image's fingerprints where the
    caller has them already."""
    prints = prints or fingerprint(image)
    if pixel_sha256 is not None:
        prints = replace(prints, pixel_sha256=pixel_sha256)
    if prints.flat:
        return []
    exact = registry.work_by_pixels(session, prints.pixel_sha256)
    exact_id = exact.id if exact is not None else None
    hashed = hash_hits(session, services, prints, max(limit, HASH_CANDIDATES))
    if among is not None:
        exact_id = exact_id if exact_id in among else None
        hashed = {w: m for w, m in hashed.items() if w in among}
    store = services.near_copy_index
    store.refresh(session)
    also = list(dict.fromkeys([*([exact_id] if exact_id else []), *hashed, *(among or ())]))
    found = store.index.search(
        image,
        lambda ids: store.records(session, ids),
        also=also,
        candidates=CANDIDATES if among is None else 0,
        min_inliers=REVIEW_MIN_INLIERS if review else MIN_INLIERS,
        passes=passes,
        given=given,
    )
    verified = {m.work_id: m for m in found}
    out = [_verified_out(m, exact_id, hashed) for m in found]
    if exact_id is not None and exact_id not in verified:
        out.append(_unverified(exact_id, MatchMethod.EXACT, EXACT_SCORE))
    for work_id in hashed:
        if work_id not in verified and work_id != exact_id:
            out.append(_unverified(work_id, MatchMethod.HASH, HASH_SCORE))
    out.sort(key=lambda m: (m.method is not MatchMethod.EXACT, -m.score, -m.inliers, m.work_id))
    out = out[:limit]
    if alterations:
        out = _with_alterations(session, services, image, out, verified)
    return out


def hash_hits(
    session: Session, services: Services, prints: Fingerprints, limit: int
) -> dict[int, Match]:
    """Works within the service's pHash and dHash thresholds, closest first."""
    settings, index = services.settings, services.match_index
    index.refresh(session)
    found = index.search(prints, settings.match_phash_max, settings.match_dhash_max, limit)
    return {m.work_id: m for m in found}


def _verified_out(match: NearCopy, exact_id: int | None, hashed: dict[int, Match]) -> NearCopyOut:
    if match.work_id == exact_id:
        method, score = MatchMethod.EXACT, EXACT_SCORE
    else:
        method = MatchMethod.HASH if match.work_id in hashed else MatchMethod.LOCAL_FEATURES
        score = match.score
    band = MatchBand.MATCH if match.inliers >= MIN_INLIERS else MatchBand.REVIEW
    exact = method is MatchMethod.EXACT
    return NearCopyOut(
        work_id=match.work_id,
        score=score,
        method=method,
        band=band,
        inliers=match.inliers,
        transform=transform_out(match),
        # The same pixels: nothing to compare.
        altered=False if exact else None,
        altered_fraction=0.0 if exact else None,
        altered_regions=[],
    )


def _unverified(work_id: int, method: MatchMethod, score: float) -> NearCopyOut:
    exact = method is MatchMethod.EXACT
    return NearCopyOut(
        work_id=work_id,
        score=score,
        method=method,
        band=MatchBand.MATCH,
        inliers=0,
        transform=None,
        altered=False if exact else None,
        altered_fraction=0.0 if exact else None,
        altered_regions=[],
    )


def _box(box: Box) -> BoxOut:
    return BoxOut(x=box.x, y=box.y, width=box.width, height=box.height)


def transform_out(match: NearCopy) -> TransformOut:
    t = match.transform
    return TransformOut(
        rotation_degrees=t.rotation_degrees,
        scale=t.scale,
        mirrored=t.mirrored,
        inverted=t.inverted,
        query_in_work=_box(t.query_in_work),
        work_in_query=_box(t.work_in_query),
        work_fraction=t.work_fraction,
        query_fraction=t.query_fraction,
    )


def _with_alterations(
    session: Session,
    services: Services,
    image: Image.Image,
    matches: list[NearCopyOut],
    verified: dict[int, NearCopy],
) -> list[NearCopyOut]:
    """Each verified, not exact match compared with the work's reduced copy."""
    wanted = [
        m.work_id for m in matches if m.method is not MatchMethod.EXACT and m.work_id in verified
    ]
    if not wanted:
        return matches
    rows = session.execute(
        sa_select(
            col(WorkNearCopy.work_id),
            col(WorkNearCopy.analysis_sha256),
            col(WorkNearCopy.analysis_width),
            col(WorkNearCopy.analysis_height),
            col(Work.width),
            col(Work.height),
        )
        .join(Work, col(Work.id) == col(WorkNearCopy.work_id))
        .where(col(WorkNearCopy.work_id).in_(wanted))
    ).all()
    copies = {int(r[0]): (str(r[1]), (int(r[2]), int(r[3])), (int(r[4]), int(r[5]))) for r in rows}
    query = rgb_pixels(image)
    out = []
    for match in matches:
        found = verified.get(match.work_id)
        stored = copies.get(match.work_id)
        if found is None or stored is None or match.method is MatchMethod.EXACT:
            out.append(match)
            continue
        sha256, analysis_size, work_size = stored
        work = analysis_pixels(services, sha256)
        if work is None:
            out.append(match)
            continue
        homography = to_analysis(analysis_size, work_size) @ found.query_to_work
        try:
            altered = find_alterations(query, work, homography)
        except AlterationInputError:
            out.append(match)  # too small to compare: said as unknown, not as unaltered
            continue
        regions = [
            RegionOut(x=r.x, y=r.y, width=r.width, height=r.height, score=r.score)
            for r in altered.regions
        ]
        out.append(
            match.model_copy(
                update={
                    "altered": altered.altered,
                    "altered_fraction": altered.altered_fraction,
                    "altered_regions": regions,
                }
            )
        )
    return out


def to_analysis(analysis_size: tuple[int, int], work_size: tuple[int, int]) -> np.ndarray:
    """3 x 3 map from the work's pixels to its reduced copy's (pixel centres: the
    half-pixel rule of a resize)."""
    sx = analysis_size[0] / work_size[0]
    sy = analysis_size[1] / work_size[1]
    return np.array([[sx, 0.0, 0.5 * sx - 0.5], [0.0, sy, 0.5 * sy - 0.5], [0.0, 0.0, 1.0]])
