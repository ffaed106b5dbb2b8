"""Every output leaves labelled, and verification tells a regulator what it carries."""

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from PIL import Image
from sqlmodel import Session, select

from governance.audit.models import AuditEntry
from governance.credentials.models import OutputLabel
from labeling.c2pa_read import inspect
from labeling.implicit import TRAINED
from labeling.watermark import WATERMARK_ALG, detect
from tests.support.helpers import auth, encode, np_image
from tests.support.label_helpers import (
    generated,
    generator,
    output_of,
    pixels,
    reencoded,
    reencoded_array,
    verify,
    with_manifest_corrupted,
    with_pixels_altered,
    without,
)
from tests.support.service_fixture import Service, make_service


def _labelled(service: Service, **extra: Any) -> tuple[dict[str, Any], bytes]:
    call = generated(service, generator(service), **extra)
    return call, output_of(service, call)


def _entries(service: Service, kind: str) -> list[dict[str, Any]]:
    with Session(service.app.state.services.engine) as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.kind == kind)).all()
        return [json.loads(r.entry) for r in rows]


def test_a_generation_is_signed_marked_and_recorded(service: Service) -> None:
    call, data = _labelled(service)
    label = next(s for s in call["stages"] if s["name"] == "label")["evidence"]
    root = service.client.get("/v1/labels/ca.pem").content  # public: no key
    report = inspect(data, "image/png", root.decode())
    assert report is not None and report.state == "Trusted"
    assert report.manifest_id == label["manifest_id"]
    assert report.digital_source_types == [TRAINED]
    assert report.software_agents == ["photo-generator/1"]
    assert report.provenance is not None
    assert report.provenance["call_id"] == call["id"]
    assert report.provenance["audit_index"] == call["audit_index"]
    assert report.provenance["evidence_sha256"] == label["evidence_sha256"]
    assert {b["alg"] for b in report.soft_bindings} >= {WATERMARK_ALG}
    mark = detect(pixels(data))
    assert mark is not None and mark.watermark_id in {b["value"] for b in report.soft_bindings}
    # The label is its own audit entry, after the call's, naming the stored file.
    (entry,) = _entries(service, "output.labelled")
    assert entry["index"] == call["audit_index"] + 1
    assert entry["data"]["manifest_id"] == label["manifest_id"]
    assert entry["data"]["output_sha256"] == hashlib.sha256(data).hexdigest()
    assert call["output_sha256"] == hashlib.sha256(data).hexdigest()


def test_the_output_verifies_as_trusted_ai_with_its_record(service: Service) -> None:
    call, data = _labelled(service)
    response = verify(service, data)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["c2pa"]["state"] == "Trusted"
    assert report["ai_disclosure"]["ai_made"] is True
    assert report["implicit_labels"]["tc260_aigc"]["Label"] == "1"
    assert report["implicit_labels"]["problems"] == []
    assert report["implicit_labels"]["digital_source_type"] == TRAINED
    assert report["watermark"]["found"] is True
    record = report["record"]
    assert record["call_id"] == call["id"] and record["found_by"] == "manifest"
    assert record["identical_to_output"] is True
    assert record["agrees_with_audit_log"] is True, record["checks"]
    assert report["conformance"]["eu_ai_act_art50"]["conformant"] is True
    # No visible label was asked for: GB 45438 wants one on images.
    gb = report["conformance"]["gb_45438_2025"]
    assert gb["conformant"] is False
    assert [c["name"] for c in gb["checks"] if not c["passed"]] == ["visible_label"]


def test_a_visible_label_makes_the_output_conform_to_gb_45438(service: Service) -> None:
    call, data = _labelled(service, visible_label=True)
    report = verify(service, data).json()
    visible = report["visible_label"]
    assert visible["text"] == "AI生成"
    assert visible["height_px"] >= 0.05 * 256
    assert report["conformance"]["gb_45438_2025"]["conformant"] is True
    assert report["conformance"]["eu_ai_act_art50"]["conformant"] is True
    assert call["request"]["visible_label"] is True


def test_pixels_altered_after_signing_are_invalid_with_the_reason(service: Service) -> None:
    _, data = _labelled(service)
    report = verify(service, with_pixels_altered(data)).json()
    assert report["c2pa"]["state"] == "Invalid"
    failures = [c for c in report["c2pa"]["codes"] if c["kind"] == "failure"]
    assert "assertion.dataHash.mismatch" in {c["code"] for c in failures}
    assert all(c["explanation"] for c in failures)
    assert report["conformance"]["eu_ai_act_art50"]["conformant"] is False
    assert report["record"]["identical_to_output"] is False
    assert report["record"]["agrees_with_audit_log"] is False


def test_a_stripped_copy_is_recovered_through_its_watermark(service: Service) -> None:
    call, data = _labelled(service)
    stripped = reencoded(data)
    report = verify(service, stripped).json()
    assert report["c2pa"]["present"] is False
    assert report["implicit_labels"]["tc260_aigc"] is None
    record = report["record"]
    assert record["found_by"] == "watermark" and record["call_id"] == call["id"]
    assert record["agrees_with_audit_log"] is True
    # The signed manifest is recovered, but these are not the bytes it signed.
    assert record["recovered_manifest"]["state"] == "Invalid"
    assert report["ai_disclosure"] == {
        "ai_made": True,
        "digital_source_types": [TRAINED],
        "software_agents": ["photo-generator/1"],
        "from": "manifest kept by the service",
        "implicit_labels_say_ai": False,
    }
    eu = report["conformance"]["eu_ai_act_art50"]
    assert eu["conformant"] is False
    assert {c["name"]: c["passed"] for c in eu["checks"]} == {
        "machine_readable_marking": False,
        "detectable_watermark": True,
    }


def test_a_copy_that_lost_only_its_manifest_checks_against_the_kept_one(service: Service) -> None:
    _, data = _labelled(service)
    report = verify(service, without(data, b"caBX")).json()
    assert report["c2pa"]["present"] is False
    assert report["record"]["recovered_manifest"]["state"] == "Trusted"


def test_a_jpeg_reencode_is_still_found(service: Service) -> None:
    call, data = _labelled(service)
    report = verify(service, reencoded(data, "JPEG", quality=70), "copy.jpg").json()
    assert report["record"]["call_id"] == call["id"]
    assert report["record"]["found_by"] == "watermark"
    # The PNG's manifest, recovered for the JPEG copy: it says AI, but not of these bytes.
    assert report["ai_disclosure"]["ai_made"] is True
    assert report["record"]["recovered_manifest"]["state"] == "Invalid"


def test_an_unknown_signer_is_reported_untrusted_not_refused(
    service: Service, tmp_path: Path
) -> None:
    from governance.db import migrate

    # Another deployment: its own database, its own development CA.
    other_db = f"sqlite:///{tmp_path / 'other.db'}"
    migrate(other_db)
    other = make_service(other_db, tmp_path / "other")
    try:
        _, data = _labelled(other)
    finally:
        other.app.state.services.engine.dispose()
    report = verify(service, data).json()
    assert report["c2pa"]["state"] == "Valid"
    assert "signingCredential.untrusted" in {c["code"] for c in report["c2pa"]["codes"]}


def test_a_corrupt_manifest_is_a_finding(service: Service) -> None:
    _, data = _labelled(service)
    response = verify(service, with_manifest_corrupted(data))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["c2pa"]["state"] == "Invalid"
    assert report["conformance"]["eu_ai_act_art50"]["conformant"] is False


def test_an_unlabelled_photograph_is_reported_unlabelled(service: Service) -> None:
    report = verify(service, encode(np_image(4, 128))).json()
    assert report["c2pa"] == {"present": False, "state": None, "codes": []}
    assert report["watermark"] == {"found": False}
    assert report["record"] is None
    assert report["ai_disclosure"]["ai_made"] is False
    assert report["conformance"]["eu_ai_act_art50"]["conformant"] is False


def test_bad_files_are_refused_with_a_clear_error(service: Service) -> None:
    assert verify(service, b"not an image").json()["error"] == "NotAnImage"
    gif = encode(np_image(1, 32), "GIF")
    assert verify(service, gif).json()["error"] == "UnsupportedImageFormat"
    _, data = _labelled(service)
    # A truncated file is no image to judge; a damaged manifest in a whole image is a finding.
    truncated = verify(service, data[: len(data) // 2])
    assert truncated.status_code == 422 and truncated.json()["error"] == "CorruptImage"
    big = verify(service, b"\x89PNG" + bytes(3 * 1024 * 1024))
    assert big.status_code == 413
    unauthenticated = service.client.post("/v1/verify", files={"file": ("a.png", gif)})
    assert unauthenticated.status_code == 401


def test_resolution_endpoints(service: Service) -> None:
    call, data = _labelled(service)
    label = next(s for s in call["stages"] if s["name"] == "label")["evidence"]
    key = auth(service.keys["regulator"])
    manifest_id = label["manifest_id"]
    store = service.client.get(f"/v1/manifests/{manifest_id}", headers=key)
    assert store.status_code == 200 and store.headers["content-type"] == "application/c2pa"
    missing = service.client.get("/v1/manifests/urn:c2pa:nothing", headers=key)
    assert missing.status_code == 404 and missing.json()["error"] == "ManifestNotFound"
    binding = next(b for b in label["soft_bindings"] if b["alg"] == WATERMARK_ALG)
    found = service.client.get(
        "/v1/matches/byBinding",
        params={"alg": WATERMARK_ALG, "value": binding["value"]},
        headers=key,
    ).json()
    assert [m["manifestId"] for m in found["matches"]] == [manifest_id]
    unknown = service.client.get(
        "/v1/matches/byBinding", params={"alg": "com.example", "value": "00"}, headers=key
    )
    # The document lists the algorithms, and the answer names them.
    assert unknown.status_code == 422 and unknown.json()["error"] == "InvalidRequest"
    assert "org.provenance-governance.watermark.qim.1" in unknown.json()["detail"]
    by_content = service.client.post(
        "/v1/matches/byContent",
        headers=key,
        files={"file": ("c.jpg", reencoded(data, "JPEG", quality=80))},
    ).json()
    assert by_content["matches"][0]["manifestId"] == manifest_id
    assert by_content["matches"][0]["found_by"] == "watermark"


def test_blocked_calls_are_not_labelled(service: Service) -> None:
    from tests.support.call_helpers import generate

    model = generator(service)
    blocked = generate(service, model, prompt="")
    assert blocked.status_code == 422
    with Session(service.app.state.services.engine) as session:
        assert session.exec(select(OutputLabel)).all() == []


def test_a_manifest_that_borrows_the_services_id_does_not_agree(
    service: Service, tmp_path: Path
) -> None:
    """Another signer copies our manifest id, call assertion and visible-label claim onto
    other pixels: found by that id, but neither agreement nor conformance follows."""
    from labeling.c2pa_manifest import CallProvenance, generation_manifest
    from labeling.c2pa_sign import SignerConfig, sign
    from labeling.identity import generate_identity
    from labeling.implicit import png_with_xmp

    call, data = _labelled(service)
    label = next(s for s in call["stages"] if s["name"] == "label")["evidence"]
    root = service.client.get("/v1/labels/ca.pem").text
    ours = inspect(data, "image/png", root)
    assert ours is not None and ours.provenance is not None
    claimed = {**ours.provenance, "visible_label": {"text": "AI", "height_px": 200}}
    forged_pixels = 255 - pixels(data)
    forged = sign(
        png_with_xmp(reencoded_array(forged_pixels), "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"),
        "image/png",
        generation_manifest(
            manifest_id=label["manifest_id"],
            title="forged",
            provenance=CallProvenance(**claimed),
            soft_bindings=[],
        ),
        SignerConfig.from_identity(generate_identity("Forger")),
    ).data
    report = verify(service, forged).json()
    assert report["c2pa"]["state"] == "Valid"
    record = report["record"]
    assert record["found_by"] == "manifest"
    assert record["agrees_with_audit_log"] is False
    failed = [c["name"] for c in record["checks"] if not c["passed"]]
    assert failed == ["embedded_manifest_is_the_services"]
    assert record["recovered_manifest"]["state"] == "Invalid"
    assert report["visible_label"] is None
    gb = {c["name"]: c["passed"] for c in report["conformance"]["gb_45438_2025"]["checks"]}
    assert gb["visible_label"] is False


def test_a_fingerprint_match_claims_no_agreement(service: Service) -> None:
    from PIL import ImageFilter

    call, data = _labelled(service)
    # Blurred enough to lose the watermark, close enough to keep the fingerprint.
    blurred = Image.open(io.BytesIO(data)).convert("RGB").filter(ImageFilter.GaussianBlur(6))
    report = verify(service, encode(blurred)).json()
    record = report["record"]
    assert record is not None and record["call_id"] == call["id"]
    assert record["found_by"] == "fingerprint"
    assert record["agrees_with_audit_log"] is None and record["checks"] == []
    assert report["ai_disclosure"]["ai_made"] is False


def test_a_cropped_copy_does_not_confirm_its_visible_label(service: Service) -> None:
    _, data = _labelled(service, visible_label=True)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    cropped = image.crop((0, 0, image.width, int(image.height * 0.8)))
    report = verify(service, encode(cropped)).json()
    if report["record"] is None or report["record"]["found_by"] == "fingerprint":
        assert report["visible_label"] is None
    else:
        assert report["visible_label"]["confirmed_in_this_file"] is False
    gb = {c["name"]: c["passed"] for c in report["conformance"]["gb_45438_2025"]["checks"]}
    assert gb["visible_label"] is False


def test_a_copy_re_signed_as_a_photograph_is_still_called_ai(service: Service) -> None:
    from labeling.c2pa_sign import SignerConfig, sign
    from labeling.identity import generate_identity

    call, data = _labelled(service)
    capture = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    manifest = {
        "claim_generator_info": [{"name": "laundering tool"}],
        "title": "holiday photo",
        "format": "image/png",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": capture}]},
            }
        ],
    }
    laundered = sign(
        reencoded(data),
        "image/png",
        manifest,
        SignerConfig.from_identity(generate_identity("Launderer")),
    ).data
    report = verify(service, laundered).json()
    assert report["record"]["found_by"] == "watermark"
    assert report["record"]["call_id"] == call["id"]
    assert report["record"]["agrees_with_audit_log"] is False
    assert report["ai_disclosure"]["ai_made"] is True
    assert report["ai_disclosure"]["from"] == "manifest kept by the service"
