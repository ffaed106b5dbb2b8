"""The manifest repository's look-ups, as in the CAI soft-binding API: by manifest id, by
a binding's value (watermark or fingerprint), and by content (decode and search)."""

from dataclasses import dataclass

import numpy as np
from PIL import Image
from sqlmodel import Session, col, select

from governance.credentials.models import OutputLabel
from governance.errors import UnknownBindingAlgorithm
from governance.services import Services
from labeling.watermark import WATERMARK_ALG, Detection, detect
from rights.fingerprints import HashKind, Orientation, fingerprint

# The soft binding by pHash that every manifest carries beside the watermark.
FINGERPRINT_ALG = "org.provenance-governance.fingerprint.phash.1"
BINDING_ALGORITHMS = (WATERMARK_ALG, FINGERPRINT_ALG)
_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class Found:
    label: OutputLabel
    by: str  # "manifest", "watermark" or "fingerprint"
    # 1.0 for an exact binding; for a fingerprint, 1 - (pHash + dHash distance) / 128.
    score: float


def label_by_manifest(session: Session, manifest_id: str) -> OutputLabel | None:
    return session.exec(select(OutputLabel).where(OutputLabel.manifest_id == manifest_id)).first()


def by_binding(session: Session, alg: str, value: str) -> list[Found]:
    value = value.strip().lower()
    if alg == WATERMARK_ALG:
        query = select(OutputLabel).where(OutputLabel.watermark_id == value)
        return [Found(label, "watermark", 1.0) for label in session.exec(query)]
    if alg == FINGERPRINT_ALG:
        try:
            unsigned = int(value, 16)
        except ValueError:
            return []
        if not 0 <= unsigned <= _MASK:
            return []
        signed = unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned
        query = select(OutputLabel).where(OutputLabel.phash == signed)
        return [Found(label, "fingerprint", 1.0) for label in session.exec(query)]
    raise UnknownBindingAlgorithm(
        f"this repository knows the bindings {', '.join(BINDING_ALGORITHMS)}, not {alg!r}"
    )


def by_watermark(session: Session, rgb: np.ndarray) -> tuple[Detection | None, list[Found]]:
    detection = detect(rgb)
    if detection is None:
        return None, []
    return detection, by_binding(session, WATERMARK_ALG, detection.watermark_id)


def by_fingerprint(
    session: Session, services: Services, image: Image.Image, limit: int = 5
) -> list[Found]:
    """Labels whose pHash and dHash are both within the registry's match distances."""
    hashes = fingerprint(image)
    phash = hashes.get(HashKind.PHASH, Orientation.ORIGINAL)
    dhash = hashes.get(HashKind.DHASH, Orientation.ORIGINAL)
    rows = session.exec(select(OutputLabel.id, OutputLabel.phash, OutputLabel.dhash)).all()
    if not rows:
        return []
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    codes = np.array([[r[1], r[2]] for r in rows], dtype=np.int64).view(np.uint64)
    query = np.array([phash, dhash], dtype=np.int64).view(np.uint64)
    distances = _popcount(codes ^ query)
    settings = services.settings
    near = (distances[:, 0] <= settings.match_phash_max) & (
        distances[:, 1] <= settings.match_dhash_max
    )
    order = np.argsort(distances.sum(axis=1)[near], kind="stable")[:limit]
    chosen = ids[near][order]
    totals = distances.sum(axis=1)[near][order]
    labels = {
        label.id: label
        for label in session.exec(
            select(OutputLabel).where(col(OutputLabel.id).in_(chosen.tolist()))
        )
    }
    return [
        Found(labels[int(i)], "fingerprint", round(1 - int(d) / 128, 4))
        for i, d in zip(chosen, totals, strict=True)
    ]


def _popcount(values: np.ndarray) -> np.ndarray:
    as_bytes = values.view(np.uint8).reshape(*values.shape, 8)
    counted: np.ndarray = np.unpackbits(as_bytes, axis=-1).sum(axis=-1)
    return counted


def by_content(session: Session, services: Services, image: Image.Image) -> list[Found]:
    """Watermark first (exact), then fingerprints; one entry per manifest, best first."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    _, found = by_watermark(session, rgb)
    seen = {f.label.manifest_id for f in found}
    for candidate in by_fingerprint(session, services, image):
        if candidate.label.manifest_id not in seen:
            found.append(candidate)
            seen.add(candidate.label.manifest_id)
    return found
