"""Matching an image against the registered works: exact pixels, then perceptual hashes.

A flat picture (rights.fingerprints: too little in its pHash) matches nothing, not even
a work of the same pixels: a solid colour or a one-pixel strip could be anyone's.
"""

from dataclasses import replace

from PIL import Image
from sqlmodel import Session

from governance.errors import InvalidInput
from governance.images import decode_for_analysis
from governance.services import Services
from governance.works.schemas import MatchOut, MatchResult
from rights import registry
from rights.fingerprints import Fingerprints, fingerprint
from rights.match_index import Match

# Every work a new registration matches is looked at for the holder's own, not a few.
MAX_CANDIDATES = 1000


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
) -> list[MatchOut]:
    """Registered works that `image` matches, best first: exact pixels, then perceptual.

    `pixel_sha256` is that of the full image where `image` is a reduced copy of it."""
    settings, index = services.settings, services.match_index
    prints = fingerprint(image)
    if pixel_sha256 is not None:
        prints = replace(prints, pixel_sha256=pixel_sha256)
    if prints.flat:
        return []
    exact = registry.work_by_pixels(session, prints.pixel_sha256)
    index.refresh(session)
    found = index.search(prints, settings.match_phash_max, settings.match_dhash_max, limit)
    matches = [
        MatchOut(
            work_id=m.work_id,
            distance=0 if exact is not None and exact.id == m.work_id else m.distance,
            exact=exact is not None and exact.id == m.work_id,
            orientation=m.orientation.value,
            phash_distance=m.phash_distance,
            dhash_distance=m.dhash_distance,
        )
        for m in found
    ]
    if exact is not None and exact.id not in {m.work_id for m in matches}:
        assert exact.id is not None
        matches.insert(
            0,
            MatchOut(
                work_id=exact.id,
                distance=0,
                exact=True,
                orientation="original",
                phash_distance=0,
                dhash_distance=0,
            ),
        )
    matches.sort(key=lambda m: (m.distance, not m.exact, m.work_id))
    return matches[:limit]


def own_duplicate(
    session: Session, services: Services, holder_id: int, prints: Fingerprints
) -> Match | None:
    """The holder's own registered work that this picture matches, the closest, if any."""
    settings, index = services.settings, services.match_index
    index.refresh(session)
    found = index.search(prints, settings.match_phash_max, settings.match_dhash_max, MAX_CANDIDATES)
    own = registry.works_of_holder(session, holder_id, {m.work_id for m in found})
    return next((m for m in found if m.work_id in own), None)
