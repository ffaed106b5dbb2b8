"""What registration keeps of a work for near-copy matching: its record and a reduced copy
of its pixels.

The record (rights.nearcopy.WorkRecord: ORB keypoints and their visual words, about 20 KB)
and its postings (the word index's part, about 4 KB) go in `work_near_copies`. The
reduced copy (longer side ANALYSIS_SIDE, lossless WebP, about 300 KB) goes in the blob
store, named on the row: alterations are measured against it later (rights.alterations
compares in a frame of at most 512 px, so a larger copy would buy nothing but time). The
uploaded file itself is also in the blob store (by the work's `sha256`), which is what
`govern works reindex` describes works registered before near copies from.

Where the upload already is that copy (8-bit RGB, upright as stored, within ANALYSIS_SIDE)
the row names the upload itself: reading it back gives the same pixels, and encoding a
second file of them was a tenth of a registration's time.
"""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from sqlmodel import Session

from governance.db import after_commit
from governance.images import DecodedImage, rgb_image
from governance.services import Services
from rights.models import WorkNearCopy
from rights.nearcopy import WorkRecord, describe_work

ANALYSIS_SIDE = 512


@dataclass(frozen=True)
class NearCopyParts:
    record: WorkRecord
    analysis: bytes | None  # lossless WebP; None where the upload itself serves
    analysis_width: int
    analysis_height: int


def analysis_copy(image: Image.Image) -> Image.Image:
    """The picture at most ANALYSIS_SIDE on its longer side, 8-bit RGB."""
    rgb = rgb_image(image)
    scale = ANALYSIS_SIDE / max(rgb.width, rgb.height)
    if scale >= 1:
        return rgb
    size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
    # reducing_gap: a box reduction first, then Lanczos; as good, and much quicker on
    # a large scan.
    return rgb.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def describe(decoded: DecodedImage) -> NearCopyParts:
    """A work's record and reduced copy: the long work, done before any lock is taken."""
    if reads_back_as_is(decoded):
        image = decoded.image
        return NearCopyParts(describe_work(image), None, image.width, image.height)
    return describe_image(decoded.image)


def describe_image(image: Image.Image) -> NearCopyParts:
    """`describe` of pixels that have no file of their own: the copy is always written."""
    record = describe_work(image)
    small = analysis_copy(image)
    buffer = io.BytesIO()
    # Lossless, and twice as quick to write as PNG at its fastest (method 0).
    small.save(buffer, "WEBP", lossless=True, method=0, quality=0)
    return NearCopyParts(record, buffer.getvalue(), small.width, small.height)


def reads_back_as_is(decoded: DecodedImage) -> bool:
    """Whether the file, opened and converted to RGB as analysis_pixels reads a copy, gives
    exactly the decoded pixels at the copy's size: 8-bit RGB already, no EXIF turn to
    apply, and no larger than ANALYSIS_SIDE."""
    image = decoded.image
    if image.mode != "RGB" or max(image.size) > ANALYSIS_SIDE:
        return False
    # Not a reduced decode, and not turned upright from the file's own pixels.
    return (decoded.width, decoded.height) == image.size and not decoded.turned


def keep(
    session: Session, services: Services, work_id: int, parts: NearCopyParts, file_sha256: str
) -> None:
    """Store the work's record (flushed) and stage its reduced copy, kept on commit;
    `file_sha256` names the work's own file, which the caller keeps, where that is the
    copy."""
    if parts.analysis is None:
        analysis_sha256 = file_sha256
    else:
        staged = services.blobs.stage(parts.analysis)
        after_commit(session, staged.promote, on_rollback=staged.discard)
        analysis_sha256 = staged.sha256
    record = parts.record
    session.add(
        WorkNearCopy(
            work_id=work_id,
            vocabulary_id=record.vocabulary_id.hex(),
            postings=record.postings().to_bytes(),
            record=record.to_bytes(),
            analysis_sha256=analysis_sha256,
            analysis_width=parts.analysis_width,
            analysis_height=parts.analysis_height,
        )
    )
    session.flush()


def analysis_pixels(services: Services, sha256: str) -> np.ndarray | None:
    """A work's reduced copy as RGB pixels; None if the file is missing or unreadable."""
    try:
        with Image.open(io.BytesIO(services.blobs.get(sha256))) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError):
        return None
