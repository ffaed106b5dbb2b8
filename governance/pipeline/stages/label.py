"""The label stage: every output leaves labelled, before it is stored.

In order: the visible label (when asked for), the watermark, the fingerprint, the
implicit XMP labels, then the C2PA manifest signed over all of it. It runs inside the
seal, since the manifest names the call and the audit entry its record will take.
"""

import time

from governance.adapters.base import ModelKind
from governance.audit.entries import LabelDetails, SoftwareAgent, VisibleLabel
from governance.audit.entries import SoftBinding as RecordedBinding
from governance.credentials.build import build_manifest, sign_output
from governance.credentials.draft import LabelDraft
from governance.credentials.marks import add_watermark, draw_visible, output_fingerprint
from governance.credentials.schemas import FINGERPRINT_ALG
from governance.images import encode_png
from governance.pipeline.context import CallContext, Output, Seal
from governance.pipeline.evidence import LabelEvidence
from governance.pipeline.stage import StageResult, failed, passed
from labeling.c2pa_manifest import CallProvenance, SoftBinding, new_manifest_id
from labeling.c2pa_sign import SigningError, TimestampError
from labeling.implicit import COMPOSITE, TRAINED, AigcLabel, png_with_xmp, xmp_for
from labeling.watermark import WATERMARK_ALG
from rights.fingerprints import hash_hex


class LabelOutput:
    name = "label"

    def run(self, call: CallContext, output: Output, seal: Seal) -> StageResult:
        settings = call.services.settings
        timings = {"reserve_ms": seal.reserve_ms}
        clock = time.perf_counter()
        pixels = output.pixels
        visible: VisibleLabel | None = None
        if _wants_visible(call):
            try:
                pixels, visible = draw_visible(pixels, settings)
            except ValueError as exc:
                return failed(self.name, "visible_label_failed", str(exc))
        clock = _lap(timings, "visible_ms", clock)
        pixels, watermark_id = add_watermark(call.session, pixels)
        clock = _lap(timings, "watermark_ms", clock)
        phash, dhash = output_fingerprint(pixels)
        clock = _lap(timings, "fingerprint_ms", clock)

        manifest_id = new_manifest_id()
        source_type = TRAINED if call.kind is ModelKind.GENERATION else COMPOSITE
        aigc = AigcLabel(
            label="1",
            content_producer=settings.label_producer,
            produce_id=manifest_id,
            reserved_code1=f"sha256:{seal.evidence_sha256}",
        )
        png = png_with_xmp(
            encode_png(pixels, settings.output_png_level), xmp_for(aigc, source_type)
        )
        clock = _lap(timings, "encode_ms", clock)

        bindings = [SoftBinding(FINGERPRINT_ALG, hash_hex(phash))]
        if watermark_id is not None:
            bindings.insert(0, SoftBinding(WATERMARK_ALG, watermark_id))
        manifest = build_manifest(
            call.kind,
            manifest_id=manifest_id,
            title=f"{call.kind.value} {seal.call_id}",
            provenance=_provenance(call, seal, visible),
            soft_bindings=bindings,
            parts=call.manifest,
        )
        notes: list[str] = []
        try:
            signed = sign_output(call.services, png, manifest, call.manifest.parent, notes)
        except TimestampError as exc:
            return failed(self.name, "timestamp_unavailable", str(exc))
        except SigningError as exc:
            return failed(self.name, "signing_failed", str(exc))
        _lap(timings, "sign_ms", clock)

        details = LabelDetails(
            digital_source_type=source_type,
            software_agent=SoftwareAgent(name=call.model.name, version=call.model.version),
            implicit_label={"TC260:AIGC": aigc.to_json()},
            visible_label=visible,
            training_mining=call.manifest.training_mining,
            soft_bindings=[RecordedBinding(alg=b.alg, value=b.value) for b in bindings],
            notes=notes,
        )
        output.pixels = pixels
        output.file = signed.data
        output.label = LabelDraft(
            manifest_id=manifest_id,
            watermark_id=watermark_id,
            phash=phash,
            dhash=dhash,
            manifest_store=signed.manifest_store,
            call_audit_index=seal.audit_index,
            details=details,
        )
        return passed(
            self.name,
            LabelEvidence(
                manifest_id=manifest_id,
                call_audit_index=seal.audit_index,
                evidence_sha256=seal.evidence_sha256,
                details=details,
                timings_ms=timings,
            ),
        )


def _provenance(call: CallContext, seal: Seal, visible: VisibleLabel | None) -> CallProvenance:
    return CallProvenance(
        service=call.services.settings.label_producer,
        call_id=seal.call_id,
        audit_index=seal.audit_index,
        evidence_sha256=seal.evidence_sha256,
        model_id=call.model_id,
        model_name=call.model.name,
        model_version=call.model.version,
        weights_sha256=call.model.weights_sha256,
        visible_label=visible.model_dump() if visible else None,
    )


def _wants_visible(call: CallContext) -> bool:
    asked = call.request.get("visible_label")
    return bool(call.services.settings.visible_label if asked is None else asked)


def _lap(timings: dict[str, float], name: str, started: float) -> float:
    now = time.perf_counter()
    timings[name] = (now - started) * 1000
    return now
