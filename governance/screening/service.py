"""Screening any file: which registered works it copies (and where a copy was altered),
whether it looks AI-made, and whether it is an output of this service.

Any key may ask; each learns only what it may see (visibility.py, service_output.py).
What is written is only where registered works were seen (works.sightings), after the
search, for their holders.
"""

import hashlib

from sqlmodel import Session

from governance.auth.service import Principal
from governance.detectors.assess import assess_synthetic
from governance.images import decode_for_analysis, rgb_pixels
from governance.screening.schemas import ScreenedCopy, ScreenedFile, ScreenResult
from governance.screening.service_output import service_output
from governance.screening.versions import matcher_versions
from governance.screening.visibility import shown_works
from governance.services import Services
from governance.works.nearcopy import find_near_copies
from governance.works.nearcopy_schemas import BoxOut, NearCopyOut
from governance.works.sightings import record_screened
from labeling.watermark import detect

# The matcher verifies its top ten candidates; more would only be weaker ones.
MAX_NEAR_COPIES = 10


def screen_file(
    session: Session, services: Services, principal: Principal, data: bytes
) -> ScreenResult:
    """The screen of one uploaded file, its sightings of works recorded; a 4xx error for
    a file that is not an image the service reads (governance.images)."""
    result = search_file(session, services, principal, data)
    record_sightings(session, result)
    return result


def record_sightings(session: Session, result: ScreenResult) -> None:
    """The works `result` found, as sightings: after every search of the request."""
    record_screened(session, result.file.sha256, result.near_copies)


def search_file(
    session: Session, services: Services, principal: Principal, data: bytes
) -> ScreenResult:
    """`screen_file`'s answer, read only: the caller records its sightings."""
    decoded = decode_for_analysis(data, services.settings, pixel_digest=True)
    image = decoded.image
    rgb = rgb_pixels(image)
    # One after the other: run beside the matcher in a thread, the watermark search made
    # the pair slower, not quicker (150 against 136 ms at 100,000 works): both hold the
    # GIL most of the time, so the second core bought nothing but switching.
    copies = find_near_copies(
        session,
        services,
        image,
        limit=MAX_NEAR_COPIES,
        review=True,
        pixel_sha256=decoded.pixel_sha256,
    )
    watermark, synthetic = detect(rgb), assess_synthetic(session, services, rgb)
    # A file larger than the analysis bound was averaged down: its matches are said in
    # the file's own pixels, as the caller sees it.
    factor = (decoded.width / image.width, decoded.height / image.height)
    copies = [in_file_pixels(copy, factor) for copy in copies]
    works = shown_works(session, principal, {c.work_id for c in copies})
    return ScreenResult(
        file=ScreenedFile(
            sha256=hashlib.sha256(data).hexdigest(),
            media_type=decoded.media_type,
            width=decoded.width,
            height=decoded.height,
            analysed_width=image.width,
            analysed_height=image.height,
        ),
        near_copies=[ScreenedCopy(**c.model_dump(), work=works.get(c.work_id)) for c in copies],
        synthetic=synthetic,
        service_output=service_output(
            session, services, principal.role, data, decoded.media_type, image, watermark
        ),
        versions=matcher_versions(),
    )


def in_file_pixels(copy: NearCopyOut, factor: tuple[float, float]) -> NearCopyOut:
    """`copy`, found on a copy reduced by `factor` (file pixels per analysed pixel), with
    its query-side geometry in the file's pixels."""
    fx, fy = factor
    if fx == 1 and fy == 1:
        return copy
    regions = [
        r.model_copy(
            update={
                "x": round(r.x * fx),
                "y": round(r.y * fy),
                "width": max(1, round(r.width * fx)),
                "height": max(1, round(r.height * fy)),
            }
        )
        for r in copy.altered_regions
    ]
    transform = copy.transform
    if transform is not None:
        box = transform.work_in_query
        transform = transform.model_copy(
            update={
                "scale": transform.scale * (fx + fy) / 2,
                "work_in_query": BoxOut(
                    x=box.x * fx, y=box.y * fy, width=box.width * fx, height=box.height * fy
                ),
            }
        )
    return copy.model_copy(update={"altered_regions": regions, "transform": transform})
