"""Registration's look for copies: the holder's own (refused as duplicates) and other
holders' (the new work is registered, disputed).

The search runs before the write lock (it reads and computes for tens of milliseconds);
under the lock only the works registered meanwhile are verified again, so that two
copies registered at the same moment cannot both miss each other. Registrations take
work ids under the audit log's lock, in commit order: the works the search could not
see are exactly those with ids past the newest it saw.

To keep registration quick its search is lighter than a screen's: the plain pass only,
on the work's own record (no second extraction), plus the mirrored pass when the hashes
found a mirrored copy. Turns, crops, borders and overlays are found; a mirror or a
negative that the hashes miss is found by /v1/works/match and the screen, not here.
"""

from dataclasses import dataclass

from PIL import Image
from sqlmodel import Session

from governance.errors import DuplicateNearCopy, DuplicatePicture, DuplicateWork
from governance.services import Services
from governance.works.nearcopy import find_near_copies, hash_hits
from governance.works.nearcopy_schemas import MatchMethod, NearCopyOut
from governance.works.nearcopy_store import NearCopyParts
from rights import registry
from rights.disputes import Claim, WorkStatus, holders_of, newest_work_id, work_ids_after
from rights.fingerprints import Fingerprints, Orientation
from rights.nearcopy import Variant

# Every work a new registration matches is looked at for the holder's own, not a few.
MAX_CANDIDATES = 1000


@dataclass(frozen=True)
class Searched:
    copies: list[NearCopyOut]
    seen: int  # the newest work id when the search began
    passes: tuple[Variant, ...]


def search(
    session: Session,
    services: Services,
    image: Image.Image,
    prints: Fingerprints,
    parts: NearCopyParts,
) -> Searched:
    """The registered works the new picture copies (before the write lock)."""
    seen = newest_work_id(session)
    hashed = hash_hits(session, services, prints, MAX_CANDIDATES)
    mirrored = any(m.orientation is Orientation.MIRRORED for m in hashed.values())
    passes = (Variant.PLAIN, Variant.MIRRORED) if mirrored else (Variant.PLAIN,)
    copies = _find(session, services, image, prints, parts, passes, None)
    return Searched(copies, seen, passes)


def _find(
    session: Session,
    services: Services,
    image: Image.Image,
    prints: Fingerprints,
    parts: NearCopyParts,
    passes: tuple[Variant, ...],
    among: set[int] | None,
) -> list[NearCopyOut]:
    return find_near_copies(
        session,
        services,
        image,
        limit=MAX_CANDIDATES,
        pixel_sha256=prints.pixel_sha256,
        alterations=False,
        passes=passes,
        given={Variant.PLAIN: parts.record.features},
        among=among,
        prints=prints,
    )


def refuse_or_claim(
    session: Session,
    services: Services,
    holder_id: int,
    image: Image.Image,
    prints: Fingerprints,
    parts: NearCopyParts,
    searched: Searched,
) -> list[Claim]:
    """Under the write lock: refuse the holder's own copy; the other holders' works the
    new one copies, the claims it will be disputed over."""
    # Under the audit lock, held to the end of the transaction: two copies of one
    # picture registered at the same moment cannot both miss each other.
    services.audit.lock(session)
    same = registry.work_by_pixels(session, prints.pixel_sha256)
    if same is not None and same.id is not None:
        raise DuplicateWork(same.id)
    copies = list(searched.copies)
    late = set(work_ids_after(session, searched.seen))
    if late:
        copies += _find(session, services, image, prints, parts, searched.passes, late)
    holders = holders_of(session, {c.work_id for c in copies})
    own = [c for c in copies if c.work_id in holders and holders[c.work_id][0] == holder_id]
    if own:
        raise _duplicate(session, prints, own[0])
    claims: dict[int, Claim] = {}
    for copy in copies:
        if copy.work_id not in holders or copy.work_id in claims:
            continue
        if holders[copy.work_id][1] == WorkStatus.REJECTED.value:
            continue  # a rejected claim is no one's work to dispute over
        claims[copy.work_id] = Claim(copy.work_id, copy.method.value, copy.score, copy.inliers)
    return list(claims.values())


def _duplicate(session: Session, prints: Fingerprints, copy: NearCopyOut) -> DuplicateWork:
    if copy.method is MatchMethod.LOCAL_FEATURES:
        return DuplicateNearCopy(copy.work_id, copy.method.value, copy.inliers)
    # Found by its hashes: said in hash distances, as it always was.
    p, d, _ = registry.closest_hashes(session, prints, {copy.work_id}).get(
        copy.work_id, (0, 0, "original")
    )
    return DuplicatePicture(copy.work_id, p, d)
