"""What registration keeps of a work for near-copy matching: its record and a reduced copy
of its pixels.

The record (rights.nearcopy.WorkRecord: ORB keypoints and their visual words, about 20 KB)
and its postings (the word index's part, about 4 KB) go in `work_near_copies`. The
reduced copy (longer side ANALYSIS_SIDE, lossless WebP, about 300 KB) goes in the blob
store, named on the row: alterations are measured against it later (rights.alterations
compares in a frame of at most 512 px, so a larger copy would buy nothing but time). The
uploaded file itself is also in the blob store (by the work's `sha256`), which is what
`govern works reindex` describes works registered before near copies from.
"""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from sqlmodel import Session

from governance.db import after_commit
from governance.images import rgb_image
from governance.services import Services
from rights.models import WorkNearCopy
from rights.nearcopy import WorkRecord, describe_work

ANALYSIS_SIDE = 512


@dataclass(frozen=True)
class NearCopyParts:
    record: WorkRecord
    analysis: bytes  # lossless WebP
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


def describe(image: Image.Image) -> NearCopyParts:
    """A work's record and reduced copy: the long work, done before any lock is taken."""
    record = describe_work(image)
    small = analysis_copy(image)
    buffer = io.BytesIO()
    # Lossless, and twice as quick to write as PNG at its fastest (method 0).
    small.save(buffer, "WEBP", lossless=True, method=0, quality=0)
    return NearCopyParts(record, buffer.getvalue(), small.width, small.height)


def keep(session: Session, services: Services, work_id: int, parts: NearCopyParts) -> None:
    """Store the work's record (flushed) and stage its reduced copy, kept on commit."""
    staged = services.blobs.stage(parts.analysis)
    after_commit(session, staged.promote, on_rollback=staged.discard)
    record = parts.record
    session.add(
        WorkNearCopy(
            work_id=work_id,
            vocabulary_id=record.vocabulary_id.hex(),
            postings=record.postings().to_bytes(),
            record=record.to_bytes(),
            analysis_sha256=staged.sha256,
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
