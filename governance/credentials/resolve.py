"""The manifest repository's look-ups, as in the CAI soft-binding API: by manifest id, by
a binding's value (watermark or fingerprint), and by content (decode and search)."""

from dataclasses import dataclass

import numpy as np
from PIL import Image
from sqlmodel import Session, col, select

from governance.auth.models import Role
from governance.calls.models import ModelCall
from governance.calls.status import CallStatus, may_read_output
from governance.credentials.fingerprint_index import labels_near, labels_with_phash
from governance.credentials.models import OutputLabel
from governance.credentials.schemas import FINGERPRINT_ALG
from governance.errors import UnknownBindingAlgorithm
from governance.services import Services
from labeling.watermark import WATERMARK_ALG, Detection, detect
from rights.fingerprints import HashKind, Orientation, fingerprint, is_flat_hash, signed64

# The soft binding by pHash that every manifest carries beside the watermark.
BINDING_ALGORITHMS = (WATERMARK_ALG, FINGERPRINT_ALG)


@dataclass(frozen=True)
class Found:
    label: OutputLabel
    by: str  # "manifest", "watermark" or "fingerprint"
    # 1.0 for an exact binding; for a fingerprint, 1 - (pHash + dHash distance) / 128.
    score: float


def label_by_manifest(session: Session, manifest_id: str) -> OutputLabel | None:
    return session.exec(select(OutputLabel).where(OutputLabel.manifest_id == manifest_id)).first()


def served(session: Session, role: Role, found: list[Found]) -> list[Found]:
    """The labels among `found` whose outputs `role` may be served, in order.

    Every look-up answers through this (matches, verification, implicit labels): a
    label, its manifest and its call say what the output is, so they go only where the
    output itself may (`calls.status.may_read_output`), and a withheld one is as absent.
    """
    call_ids = {f.label.call_id for f in found}
    if not call_ids:
        return []
    statuses = dict(
        session.exec(
            select(ModelCall.id, ModelCall.status).where(col(ModelCall.id).in_(call_ids))
        ).all()
    )
    return [
        f
        for f in found
        if f.label.call_id in statuses
        and may_read_output(role, CallStatus(statuses[f.label.call_id]))
    ]


def served_label(session: Session, role: Role, manifest_id: str) -> OutputLabel | None:
    """The label of `manifest_id` if `role` may be served its output, else None."""
    label = label_by_manifest(session, manifest_id)
    if label is None:
        return None
    found = served(session, role, [Found(label, "manifest", 1.0)])
    return found[0].label if found else None


def by_binding(session: Session, services: Services, alg: str, value: str) -> list[Found]:
    value = value.strip().lower()
    if alg == WATERMARK_ALG:
        query = select(OutputLabel).where(OutputLabel.watermark_id == value)
        marked = list(session.exec(query))
        return [Found(label, "watermark", 1.0) for label in _releases_first(session, marked)]
    if alg == FINGERPRINT_ALG:
        try:
            signed = signed64(int(value, 16))
        except ValueError:  # not hex, or not 64 bits
            return []
        # Through the index: output_labels has no index on phash, and needs none.
        ids = labels_with_phash(session, services.label_index, signed)
        query = (
            select(OutputLabel).where(col(OutputLabel.id).in_(ids)).order_by(col(OutputLabel.id))
        )
        return [Found(label, "fingerprint", 1.0) for label in session.exec(query)]
    raise UnknownBindingAlgorithm(
        f"this repository knows the bindings {', '.join(BINDING_ALGORITHMS)}, not {alg!r}"
    )


def _releases_first(session: Session, labels: list[OutputLabel]) -> list[OutputLabel]:
    """Each label preceded by the later labels of its call, newest first: a released
    output's label (credentials/release.py) carries no watermark id of its own, since the
    pending label holds it, but it is the output's manifest now."""
    if not labels:
        return []
    calls = {label.call_id for label in labels}
    query = (
        select(OutputLabel)
        .where(col(OutputLabel.call_id).in_(calls))
        .order_by(col(OutputLabel.id).desc())
    )
    every = list(session.exec(query))
    ordered: list[OutputLabel] = []
    for label in labels:
        ordered += [
            later
            for later in every
            if later.call_id == label.call_id and (later.id or 0) > (label.id or 0)
        ]
        ordered.append(label)
    return ordered


def by_watermark(
    session: Session, services: Services, rgb: np.ndarray
) -> tuple[Detection | None, list[Found]]:
    detection = detect(rgb)
    if detection is None:
        return None, []
    return detection, by_binding(session, services, WATERMARK_ALG, detection.watermark_id)


def by_fingerprint(
    session: Session,
    services: Services,
    image: Image.Image,
    limit: int = 5,
    *,
    role: Role | None = None,
) -> list[Found]:
    """Labels whose pHash and dHash are both within the registry's match distances, best
    first by the sum of the two distances, ties by label id: with `role`, only those it
    may be served (filtered before the limit, so withheld ones take no place)."""
    hashes = fingerprint(image)
    if hashes.flat:
        # Too little in the picture to tell it from any other flat one (issue 11, item 9).
        return []
    settings = services.settings
    near = labels_near(
        session,
        services.label_index,
        hashes.get(HashKind.PHASH, Orientation.ORIGINAL),
        hashes.get(HashKind.DHASH, Orientation.ORIGINAL),
        settings.match_phash_max,
        settings.match_dhash_max,
    )
    found: list[Found] = []
    step = max(limit, 1)
    for start in range(0, len(near), step):
        if len(found) >= limit:
            break
        chunk = near[start : start + step]
        query = select(OutputLabel).where(col(OutputLabel.id).in_([i for i, _ in chunk]))
        labels = {label.id: label for label in session.exec(query)}
        # An indexed label is missing only where the session that indexed it, having
        # written it itself, then rolled it back: skip it rather than fail the look-up.
        # A flat output's label (a blank generation) matches no look-up either.
        near_ones = [
            Found(labels[i], "fingerprint", round(1 - d / 128, 4))
            for i, d in chunk
            if i in labels and not is_flat_hash(labels[i].phash)
        ]
        found += near_ones if role is None else served(session, role, near_ones)
    return found[:limit]


def by_content(session: Session, services: Services, image: Image.Image, role: Role) -> list[Found]:
    """Watermark first (exact), then fingerprints; one entry per manifest, best first;
    only the outputs `role` may be served."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
    _, marked = by_watermark(session, services, rgb)
    found = served(session, role, marked)
    seen = {f.label.manifest_id for f in found}
    for candidate in by_fingerprint(session, services, image, role=role):
        if candidate.label.manifest_id not in seen:
            found.append(candidate)
            seen.add(candidate.label.manifest_id)
    return found
