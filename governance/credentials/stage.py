"""The label stage: every output leaves labelled, before it is stored.

In order: the visible label (when asked for), the watermark, the fingerprint, the
implicit XMP labels, then the C2PA manifest signed over all of it. The manifest names
the call and the audit entry its record will take, so the call's row is reserved and
the audit lock taken first: nothing else can append before the record does.
"""

import time
from collections.abc import Mapping
from typing import Any

from PIL import Image
from sqlmodel import select

from governance.audit.log import size as audit_size
from governance.calls.context import CallContext, Outcome, StageResult, failed
from governance.calls.record import evidence_sha256, reserve
from governance.calls.run_model import encode_png
from governance.credentials.draft import LabelDraft
from governance.credentials.models import OutputLabel
from governance.credentials.resolve import FINGERPRINT_ALG
from labeling.c2pa_manifest import (
    CallProvenance,
    SoftBinding,
    generation_manifest,
    new_manifest_id,
    restoration_manifest,
)
from labeling.c2pa_sign import Ingredient, Signed, SigningError, TimestampError, sign
from labeling.c2pa_strip import without_c2pa
from labeling.implicit import COMPOSITE, TRAINED, AigcLabel, png_with_xmp, xmp_for
from labeling.visible import draw_label
from labeling.watermark import WATERMARK_ALG, embed, new_watermark_id
from rights.fingerprints import HashKind, Orientation, fingerprint, hash_hex
from rights.registry import work_terms
from rights.terms import RESTRICTIVENESS, TermValue, Use

# The CAWG uses a restored output carries on from the work its input matched, and the
# terms each is read from: our own `restoration` is ai_inference to the outside world.
CARRIED_USES = {
    Use.DATA_MINING: (Use.DATA_MINING,),
    Use.AI_TRAINING: (Use.AI_TRAINING,),
    Use.AI_GENERATIVE_TRAINING: (Use.AI_GENERATIVE_TRAINING,),
    Use.AI_INFERENCE: (Use.AI_INFERENCE, Use.RESTORATION),
}


class LabelOutput:
    name = "label"

    def run(self, call: CallContext) -> StageResult:
        assert call.output is not None and call.model.id is not None
        services, settings = call.services, call.services.settings
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        evidence_digest = evidence_sha256([r.to_json() for r in call.results])
        row = reserve(call)
        assert row.id is not None
        services.audit.lock(call.session)
        call.audit_index = audit_size(call.session)
        clock = _lap(timings, "reserve_ms", clock)

        pixels = call.output
        visible: dict[str, Any] | None = None
        if _wants_visible(call):
            font = str(settings.visible_label_font) if settings.visible_label_font else None
            try:
                pixels, drawn = draw_label(pixels, settings.visible_label_text, font_path=font)
            except ValueError as exc:
                return failed(self.name, "visible_label_failed", str(exc))
            visible = {
                "text": drawn.text,
                "height_px": drawn.height_px,
                "box": list(drawn.box),
                "edge": drawn.edge,
                "shorter_side_px": int(min(pixels.shape[:2])),
                "output_size": [int(pixels.shape[1]), int(pixels.shape[0])],
            }
        clock = _lap(timings, "visible_ms", clock)
        watermark_id: str | None = None
        try:
            new_id = _unused_watermark_id(call)
            pixels = embed(pixels, new_id)
            watermark_id = new_id
        except ValueError:  # too small or too saturated to carry one: the report says so
            pass
        clock = _lap(timings, "watermark_ms", clock)
        hashes = fingerprint(Image.fromarray(pixels))
        phash = hashes.get(HashKind.PHASH, Orientation.ORIGINAL)
        dhash = hashes.get(HashKind.DHASH, Orientation.ORIGINAL)
        clock = _lap(timings, "fingerprint_ms", clock)

        manifest_id = new_manifest_id()
        source_type = TRAINED if call.kind == "generation" else COMPOSITE
        aigc = AigcLabel(
            label="1",
            content_producer=settings.label_producer,
            produce_id=manifest_id,
            reserved_code1=f"sha256:{evidence_digest}",
        )
        png = png_with_xmp(
            encode_png(pixels, settings.output_png_level), xmp_for(aigc, source_type)
        )
        clock = _lap(timings, "encode_ms", clock)

        provenance = CallProvenance(
            service=settings.label_producer,
            call_id=row.id,
            audit_index=call.audit_index,
            evidence_sha256=evidence_digest,
            model_id=call.model.id,
            model_name=call.model.name,
            model_version=call.model.version,
            weights_sha256=call.model.weights_sha256,
            visible_label=visible,
        )
        bindings = [SoftBinding(FINGERPRINT_ALG, hash_hex(phash))]
        if watermark_id is not None:
            bindings.insert(0, SoftBinding(WATERMARK_ALG, watermark_id))
        title = f"{call.kind} {row.id}"
        parent = None
        carried: dict[str, str] = {}
        if call.kind == "generation":
            manifest = generation_manifest(
                manifest_id=manifest_id, title=title, provenance=provenance, soft_bindings=bindings
            )
        else:
            assert call.input_data is not None and call.input_media_type is not None
            carried = _carried_terms(call)
            manifest = restoration_manifest(
                manifest_id=manifest_id,
                title=title,
                provenance=provenance,
                soft_bindings=bindings,
                training_mining=carried or None,
            )
            parent = Ingredient(call.input_data, call.input_media_type, "restoration input")
        notes: list[str] = []
        try:
            signed = _sign(call, png, manifest, parent, notes)
        except TimestampError as exc:
            return failed(self.name, "timestamp_unavailable", str(exc))
        except SigningError as exc:
            return failed(self.name, "signing_failed", str(exc))
        _lap(timings, "sign_ms", clock)

        details = {
            "digital_source_type": source_type,
            "software_agent": {"name": call.model.name, "version": call.model.version},
            "implicit_label": {"TC260:AIGC": aigc.to_json()},
            "visible_label": visible,
            "training_mining": carried,
            "soft_bindings": [{"alg": b.alg, "value": b.value} for b in bindings],
            "notes": notes,
        }
        call.label = LabelDraft(
            manifest_id=manifest_id,
            watermark_id=watermark_id,
            phash=phash,
            dhash=dhash,
            manifest_store=signed.manifest_store,
            call_audit_index=call.audit_index,
            details=details,
        )
        call.output = pixels
        call.output_file = signed.data
        evidence = {
            "manifest_id": manifest_id,
            "call_audit_index": call.audit_index,
            "evidence_sha256": evidence_digest,
            **details,
            "timings_ms": {k: round(v, 3) for k, v in timings.items()},
        }
        return StageResult(self.name, Outcome.PASSED, evidence)


def _sign(
    call: CallContext,
    png: bytes,
    manifest: dict[str, Any],
    parent: Ingredient | None,
    notes: list[str],
) -> Signed:
    settings = call.services.settings
    signer = call.services.signing.signer
    try:
        return sign(
            png,
            "image/png",
            manifest,
            signer,
            parent=parent,
            thumbnail=settings.c2pa_thumbnail,
            trust_anchors_pem=call.services.c2pa_trust_anchors,
        )
    except TimestampError:
        raise
    except SigningError as exc:
        # A parent whose own manifest is damaged cannot be an ingredient as it is; the
        # restoration is still labelled, naming the parent less its unreadable store.
        stripped = without_c2pa(parent.data, parent.media_type) if parent else None
        if parent is None or stripped is None:
            raise
        notes.append(f"the input's own C2PA manifest could not be kept ({exc}); left out")
        bare = Ingredient(stripped, parent.media_type, f"{parent.title} (manifest left out)")
        return sign(
            png,
            "image/png",
            manifest,
            signer,
            parent=bare,
            thumbnail=settings.c2pa_thumbnail,
            trust_anchors_pem=call.services.c2pa_trust_anchors,
        )


def _unused_watermark_id(call: CallContext) -> str:
    """48 random bits collide rarely but not never (about 0.2% by a million outputs)."""
    while True:
        candidate = new_watermark_id()
        taken = select(OutputLabel.id).where(OutputLabel.watermark_id == candidate)
        if call.session.exec(taken).first() is None:
            return candidate


def _wants_visible(call: CallContext) -> bool:
    asked = call.request.get("visible_label")
    return bool(call.services.settings.visible_label if asked is None else asked)


def _lap(timings: dict[str, float], name: str, started: float) -> float:
    now = time.perf_counter()
    timings[name] = (now - started) * 1000
    return now


def _strictest(terms: Mapping[str, Any], sources: tuple[Use, ...]) -> TermValue:
    """One work's say on a use: the strictest of the terms it is read from."""
    said = [TermValue((terms.get(source.value) or {}).get("use", "unknown")) for source in sources]
    return max(said, key=RESTRICTIVENESS.__getitem__)


def _carried_terms(call: CallContext) -> dict[str, str]:
    """The strictest term per CAWG use among the works the input matched."""
    matched: set[int] = set()
    for result in call.results:
        if result.name == "input_rights":
            matched.update(int(m["work_id"]) for m in result.evidence.get("matches", []))
    works = work_terms(call.session, matched).values()
    carried: dict[str, str] = {}
    for use, sources in CARRIED_USES.items():
        values = [_strictest(work.terms, sources) for work in works]
        strictest = max(values, key=RESTRICTIVENESS.__getitem__, default=TermValue.UNKNOWN)
        # "allowed" is carried only when every work said so: one silent work means unknown.
        if strictest is TermValue.ALLOWED and TermValue.UNKNOWN in values:
            continue
        if strictest is not TermValue.UNKNOWN:
            carried[use.value] = strictest.value
    return carried
