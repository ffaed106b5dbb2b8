"""The marks an output carries in its pixels: the visible label, the watermark, and the
fingerprint taken of the marked pixels (the soft bindings that survive stripping)."""

import numpy as np
from PIL import Image
from sqlmodel import Session, select

from governance.audit.entries import VisibleLabel
from governance.credentials.models import OutputLabel
from governance.settings import Settings
from labeling.visible import draw_label
from labeling.watermark import embed, new_watermark_id
from rights.fingerprints import HashKind, Orientation, fingerprint


def draw_visible(pixels: np.ndarray, settings: Settings) -> tuple[np.ndarray, VisibleLabel]:
    """The configured visible label drawn on `pixels`; ValueError when it cannot be."""
    font = str(settings.visible_label_font) if settings.visible_label_font else None
    labelled, drawn = draw_label(pixels, settings.visible_label_text, font_path=font)
    return labelled, VisibleLabel(
        text=drawn.text,
        height_px=drawn.height_px,
        box=list(drawn.box),
        edge=drawn.edge,
        shorter_side_px=int(min(labelled.shape[:2])),
        output_size=[int(labelled.shape[1]), int(labelled.shape[0])],
    )


def add_watermark(session: Session, pixels: np.ndarray) -> tuple[np.ndarray, str | None]:
    """`pixels` with a new watermark, and its id; None when the image is too small or
    too saturated to carry one (the label's record says so)."""
    watermark_id = _unused_watermark_id(session)
    try:
        return embed(pixels, watermark_id), watermark_id
    except ValueError:
        return pixels, None


def output_fingerprint(pixels: np.ndarray) -> tuple[int, int]:
    """pHash and dHash of the marked pixels, signed 64-bit as the registry keeps them."""
    hashes = fingerprint(Image.fromarray(pixels))
    return (
        hashes.get(HashKind.PHASH, Orientation.ORIGINAL),
        hashes.get(HashKind.DHASH, Orientation.ORIGINAL),
    )


def _unused_watermark_id(session: Session) -> str:
    """48 random bits collide rarely but not never (about 0.2% by a million outputs)."""
    while True:
        candidate = new_watermark_id()
        taken = select(OutputLabel.id).where(OutputLabel.watermark_id == candidate)
        if session.exec(taken).first() is None:
            return candidate
