"""Whose implicit label a file carries: the TC260 label's ProduceID looked up among the
labels this service issued (the manifest id, which the label stage writes there).

Metadata copies as easily as it is read: an unrelated photograph given the XMP of one
of our outputs carries a well-formed label. The label is the service's only where the
ProduceID was issued for this file (same bytes, its watermark, or its fingerprint) and
its producer's fields are those the service recorded.
"""

import json

from PIL import Image
from sqlmodel import Session

from governance.auth.models import Role
from governance.credentials import resolve
from governance.credentials.models import OutputLabel
from governance.credentials.report import LabelOrigin
from governance.services import Services
from rights.fingerprints import HashKind, Orientation, fingerprint, hamming

# What the producer writes. A propagator adds ContentPropagator, PropagateID and
# ReservedCode2 of its own, as GB 45438 lets it, so those may differ from the record.
PRODUCER_FIELDS = ("Label", "ContentProducer", "ProduceID", "ReservedCode1")


def label_origin(
    session: Session,
    services: Services,
    role: Role,
    aigc: dict[str, str] | None,
    *,
    file_sha256: str,
    watermark_id: str | None,
    image: Image.Image,
) -> LabelOrigin | None:
    """What the service's records say of the file's TC260 label; None without a ProduceID.

    Only labels of outputs `role` may be served count: to anyone else a withheld output's
    ProduceID reads exactly as one never issued, so the answer reveals nothing more.
    """
    produce_id = (aigc or {}).get("ProduceID", "").strip()
    if aigc is None or not produce_id:
        return None
    producer = services.settings.label_producer
    label = resolve.served_label(session, role, produce_id)
    if label is None:
        if aigc.get("ContentProducer", "").strip() != producer:
            return LabelOrigin(
                produce_id=produce_id,
                verdict="other_producer",
                detail=f"a label of another producer ({aigc.get('ContentProducer')!r}): "
                "judged by its fields alone",
            )
        return LabelOrigin(
            produce_id=produce_id,
            verdict="not_issued",
            detail=f"the label names this service ({producer}) as its producer, but "
            f"ProduceID {produce_id} is not a label it issued for an output this key may be "
            "served: not the service's label",
        )
    seen_by = _same_output(services, label, file_sha256, watermark_id, image)
    if seen_by is None:
        return LabelOrigin(
            produce_id=produce_id,
            verdict="another_file",
            detail=f"ProduceID {produce_id} is the service's label of another file (the "
            f"output of call {label.call_id}, SHA-256 {label.output_sha256}): neither this "
            "file's SHA-256, nor its watermark, nor its fingerprint is that output's, so the "
            "label was copied onto it",
        )
    recorded = _recorded_fields(label)
    differing = [k for k in PRODUCER_FIELDS if aigc.get(k, "") != recorded.get(k, "")]
    if differing:
        return LabelOrigin(
            produce_id=produce_id,
            verdict="altered",
            detail=f"this file is the output labelled {produce_id} ({seen_by}), but the "
            f"label's {', '.join(differing)} differ from what the service recorded",
        )
    return LabelOrigin(
        produce_id=produce_id,
        verdict="this_file",
        detail=f"issued by this service for this file ({seen_by}), with "
        f"{', '.join(PRODUCER_FIELDS)} as recorded",
    )


def _same_output(
    services: Services,
    label: OutputLabel,
    file_sha256: str,
    watermark_id: str | None,
    image: Image.Image,
) -> str | None:
    """How this file is the labelled output, if it is: its bytes, its watermark, or (for a
    copy whose watermark was lost or never fitted) its fingerprint."""
    if file_sha256 == label.output_sha256:
        return "the very file"
    if watermark_id is not None:
        # Another watermark is another output, however alike the two look.
        return "its watermark" if watermark_id == label.watermark_id else None
    hashes = fingerprint(image)
    settings = services.settings
    near = (
        hamming(hashes.get(HashKind.PHASH, Orientation.ORIGINAL), label.phash)
        <= settings.match_phash_max
        and hamming(hashes.get(HashKind.DHASH, Orientation.ORIGINAL), label.dhash)
        <= settings.match_dhash_max
    )
    return "its fingerprint; no watermark was read" if near else None


def _recorded_fields(label: OutputLabel) -> dict[str, str]:
    text = label.details.get("implicit_label", {}).get("TC260:AIGC", "")
    try:
        fields = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    return (
        {k: v for k, v in fields.items() if isinstance(v, str)} if isinstance(fields, dict) else {}
    )
