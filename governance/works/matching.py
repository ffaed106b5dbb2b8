"""`/v1/works/match` and the restoration stage's look-up: the near-copy matcher
(governance.works.nearcopy), each match with its global hashes' distances beside.

A flat picture (rights.fingerprints: too little in its pHash) matches nothing, not even
a work of the same pixels: a solid colour or a one-pixel strip could be anyone's.
"""

from dataclasses import replace

from PIL import Image
from sqlmodel import Session

from governance.errors import InvalidInput
from governance.images import decode_for_analysis
from governance.services import Services
from governance.works.nearcopy import find_near_copies
from governance.works.nearcopy_schemas import MatchMethod, NearCopyOut
from governance.works.schemas import MatchOut, MatchResult
from rights import registry
from rights.fingerprints import Fingerprints, fingerprint


def match_file(session: Session, services: Services, data: bytes, limit: int) -> MatchResult:
    if not 1 <= limit <= 100:
        raise InvalidInput("limit must be between 1 and 100")
    decoded = decode_for_analysis(data, services.settings, pixel_digest=True)
    return MatchResult(
        matches=match_image(session, services, decoded.image, limit, decoded.pixel_sha256)
    )


def match_image(
    session: Session,
    services: Services,
    image: Image.Image,
    limit: int = 10,
    pixel_sha256: str | None = None,
    *,
    alterations: bool = True,
) -> list[MatchOut]:
    """Registered works that `image` copies, best first (band "match" only).

    `pixel_sha256` is that of the full image where `image` is a reduced copy of it."""
    copies = find_near_copies(
        session,
        services,
        image,
        limit=limit,
        pixel_sha256=pixel_sha256,
        alterations=alterations,
    )
    if not copies:
        return []
    prints = fingerprint(image)
    if pixel_sha256 is not None:
        prints = replace(prints, pixel_sha256=pixel_sha256)
    return with_distances(session, prints, copies)


def with_distances(
    session: Session, prints: Fingerprints, copies: list[NearCopyOut]
) -> list[MatchOut]:
    """Each copy with the pHash + dHash distances to its work, in the closer orientation
    (a crop or a turn is found by its local features, and its hashes may be far)."""
    closest = registry.closest_hashes(session, prints, {c.work_id for c in copies})
    out = []
    for copy in copies:
        exact = copy.method is MatchMethod.EXACT
        p, d, orientation = closest.get(copy.work_id, (64, 64, "original"))
        out.append(
            MatchOut(
                **copy.model_dump(),
                distance=0 if exact else p + d,
                exact=exact,
                orientation=orientation,
                phash_distance=0 if exact else p,
                dhash_distance=0 if exact else d,
            )
        )
    return out
