"""What a file says of itself, read with no database, and the report assembled from it.

Both ways of verifying share this: `verify_file.verify` adds what the service's records
say (the record, fingerprint matches, the label's origin, the visible label drawn, the
manifest kept for a copy that lost its own); `verify_alone.verify_file_only` adds
nothing and says so.
"""

import hashlib
from dataclasses import asdict, dataclass

import numpy as np

from governance.credentials.report import (
    AiDisclosure,
    Conformance,
    FileFacts,
    Fingerprint,
    ImplicitLabels,
    LabelOrigin,
    ManifestFacts,
    NoManifest,
    NoWatermark,
    Regime,
    ServiceRecord,
    UnreadableManifest,
    VerifyReport,
    VisibleLabelSeen,
    WatermarkFound,
)
from governance.credentials.schemas import ManifestMatch
from governance.images import DecodedImage, decode_for_analysis
from governance.settings import Settings
from labeling import conformance
from labeling.c2pa_read import ManifestReport, inspect
from labeling.conformance import AI_SOURCE_TYPES, discloses_ai, eu_art50, gb45438
from labeling.errors import ManifestReadError
from labeling.implicit import ImplicitLabels as ImplicitRead
from labeling.implicit import read_implicit
from labeling.watermark import Detection, detect


@dataclass(frozen=True)
class FileRead:
    """One file's own facts: its bytes' hash, its manifest, its XMP, its watermark."""

    data: bytes
    decoded: DecodedImage
    sha256: str
    anchors: str
    embedded: ManifestReport | None
    embedded_error: str | None
    implicit: ImplicitRead
    detection: Detection | None


def read_file(data: bytes, settings: Settings, anchors: str) -> FileRead:
    """Decode (a copy of at most analysis_max_pixels; sizes reported are the file's),
    judge the embedded manifest against `anchors`, read the XMP and the watermark."""
    decoded = decode_for_analysis(data, settings)
    embedded, error = inspect_manifest(data, decoded.media_type, anchors)
    rgb = np.asarray(decoded.image.convert("RGB"), dtype=np.uint8)
    return FileRead(
        data=data,
        decoded=decoded,
        sha256=hashlib.sha256(data).hexdigest(),
        anchors=anchors,
        embedded=embedded,
        embedded_error=error,
        implicit=read_implicit(decoded.image, data),
        detection=detect(rgb),
    )


def inspect_manifest(
    data: bytes, media_type: str, anchors: str, store: bytes | None = None
) -> tuple[ManifestReport | None, str | None]:
    try:
        return inspect(data, media_type, anchors, manifest_store=store), None
    except ManifestReadError as exc:
        return None, str(exc)


def assemble(
    read: FileRead,
    name: str,
    *,
    recovered: ManifestReport | None = None,
    visible: VisibleLabelSeen | None = None,
    origin: LabelOrigin | None = None,
    matches: list[ManifestMatch] | None = None,
    record: ServiceRecord | None = None,
) -> VerifyReport:
    """The report from the file's own facts and whatever the records added (nothing by
    default: the keyword arguments are the records' findings)."""
    embedded, implicit, decoded = read.embedded, read.implicit, read.decoded
    # What says AI, if anything does: a copy re-signed by someone else as a photograph is
    # still the output the service's own manifest (found by the watermark) calls AI-made.
    disclosing = [m for m in (embedded, recovered) if m and discloses_ai(m.digital_source_types)]
    manifest = disclosing[0] if disclosing else embedded or recovered
    source_types = manifest.digital_source_types if manifest else []
    implicit_ai = implicit.digital_source_type in AI_SOURCE_TYPES or (
        implicit.aigc is not None
        and not implicit.aigc_problems
        and implicit.aigc.get("Label") == "1"
    )
    detection = read.detection
    return VerifyReport(
        file=FileFacts(
            name=name,
            sha256=read.sha256,
            bytes=len(read.data),
            media_type=decoded.media_type,
            width=decoded.width,
            height=decoded.height,
        ),
        c2pa=_manifest_facts(embedded, read.embedded_error),
        ai_disclosure=AiDisclosure(
            ai_made=discloses_ai(source_types) or implicit_ai,
            digital_source_types=source_types,
            software_agents=manifest.software_agents if manifest else [],
            disclosed_by=_disclosed_by(manifest, embedded, discloses_ai(source_types)),
            implicit_labels_say_ai=implicit_ai,
        ),
        training_mining=manifest.training_mining if manifest else {},
        implicit_labels=ImplicitLabels(
            tc260_aigc=implicit.aigc,
            problems=implicit.aigc_problems,
            digital_source_type=implicit.digital_source_type,
            origin=origin,
        ),
        visible_label=visible,
        watermark=WatermarkFound(**asdict(detection)) if detection else NoWatermark(),
        fingerprint=Fingerprint(matches=matches or []),
        record=record,
        conformance=Conformance(
            eu_ai_act_art50=regime(
                eu_art50(
                    manifest_state=embedded.state if embedded else None,
                    source_types=embedded.digital_source_types if embedded else [],
                    watermark_found=detection is not None,
                )
            ),
            gb_45438_2025=regime(
                gb45438(
                    aigc=implicit.aigc,
                    aigc_problems=implicit.aigc_problems,
                    visible=visible.model_dump() if visible else None,
                    width=decoded.width,
                    height=decoded.height,
                    origin=_origin_check(origin),
                )
            ),
        ),
    )


def regime(found: conformance.Regime) -> Regime:
    return Regime.model_validate(found.to_json())


def _manifest_facts(
    report: ManifestReport | None, error: str | None
) -> ManifestFacts | UnreadableManifest | NoManifest:
    if error is not None:
        code = {
            "code": "manifest.unreadable",
            "kind": "failure",
            "explanation": f"the file carries C2PA data that cannot be read: {error}",
        }
        return UnreadableManifest(codes=[code])
    if report is None:
        return NoManifest()
    return ManifestFacts(**asdict(report))


def _origin_check(origin: LabelOrigin | None) -> conformance.Check | None:
    """The label's origin as a conformance finding; another producer's label is judged
    by its fields alone, as the service has nothing to say of it."""
    if origin is None or origin.verdict == "other_producer":
        return None
    return conformance.Check("label_origin", origin.verdict == "this_file", origin.detail)


def _disclosed_by(
    manifest: ManifestReport | None, embedded: ManifestReport | None, says_ai: bool
) -> str | None:
    if manifest is None or not says_ai:
        return None
    return "embedded manifest" if manifest is embedded else "manifest kept by the service"
