"""Manifest definitions signed into images and read back by the judging reader.

Every check reads `Trusted` where trust is expected: a wrong trust setting silently
gives `Valid`, so `Valid` would hide a broken configuration.
"""

import io
import struct
from dataclasses import asdict

import numpy as np
import pytest
import skimage.data
from PIL import Image

from labeling.c2pa_manifest import (
    COMPOSITE,
    PROJECT_ASSERTION,
    TRAINED,
    CallProvenance,
    SoftBinding,
    generation_manifest,
    new_manifest_id,
    restoration_manifest,
)
from labeling.c2pa_read import ManifestReport, inspect, read_c2pa_manifest
from labeling.c2pa_sign import Ingredient, SignerConfig, sign
from labeling.errors import ManifestReadError
from labeling.identity import SigningIdentity, generate_identity
from labeling.validation_codes import CODES, explain, kind_of

PROVENANCE = CallProvenance(
    service="Test museum governance",
    call_id=41,
    audit_index=7,
    evidence_sha256="ab" * 32,
    model_id=3,
    model_name="builtin-generation",
    model_version="1.2",
    weights_sha256="cd" * 32,
    visible_label={"text": "AI", "height_px": 13},
)
BINDINGS = [
    SoftBinding("org.provenance-governance.watermark.1", "00112233445566778899aabbccddeeff"),
    SoftBinding("org.provenance-governance.fingerprint.phash.1", "f0e1d2c3b4a59687"),
]


def image_bytes(fmt: str = "PNG", size: int = 256, name: str = "astronaut") -> bytes:
    pixels = getattr(skimage.data, name)()
    image = Image.fromarray(pixels).convert("RGB").resize((size, size))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(type, offset, total length) of every chunk."""
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.append((data[offset + 4 : offset + 8], offset, length + 12))
        offset += length + 12
    return chunks


def strip_png(data: bytes) -> bytes:
    kept = (data[o : o + n] for kind, o, n in png_chunks(data) if kind != b"caBX")
    return data[:8] + b"".join(kept)


def strip_jpeg(data: bytes) -> bytes:
    """`data` without its APP11 (JUMBF) segments; everything from SOS on is kept."""
    out, offset = [data[:2]], 2
    while data[offset + 1] != 0xDA:
        marker = data[offset + 1]
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if marker != 0xEB:
            out.append(data[offset : offset + 2 + length])
        offset += 2 + length
    out.append(data[offset:])
    return b"".join(out)


@pytest.fixture(scope="module")
def identity() -> SigningIdentity:
    return generate_identity("Test museum")


@pytest.fixture(scope="module")
def anchors(identity: SigningIdentity) -> str:
    return identity.root_pem.decode()


@pytest.fixture(scope="module")
def generated(identity: SigningIdentity) -> tuple[str, bytes, bytes]:
    """(manifest id, signed PNG, manifest store) of a generation."""
    manifest_id = new_manifest_id()
    manifest = generation_manifest(
        manifest_id=manifest_id,
        title="generation 41",
        provenance=PROVENANCE,
        soft_bindings=BINDINGS,
    )
    signed = sign(image_bytes(), "image/png", manifest, SignerConfig.from_identity(identity))
    return manifest_id, signed.data, signed.manifest_store


def codes_of(report: ManifestReport, kind: str) -> set[str]:
    return {c["code"] for c in report.codes if c["kind"] == kind}


def test_manifest_ids_have_the_form_c2pa_accepts() -> None:
    first, second = new_manifest_id(), new_manifest_id()
    assert first.startswith("urn:c2pa:") and first != second
    with pytest.raises(ValueError, match="manifest id"):
        generation_manifest(
            manifest_id="urn:uuid:0b7d9e3c-54ff-4c58-9d55-4c3a0b7bd0c1",
            title="t",
            provenance=PROVENANCE,
            soft_bindings=[],
        )


def test_definitions_name_what_made_the_image() -> None:
    manifest_id = new_manifest_id()
    generation = generation_manifest(
        manifest_id=manifest_id, title="g", provenance=PROVENANCE, soft_bindings=BINDINGS
    )
    assert generation["label"] == manifest_id and generation["format"] == "image/png"
    assert generation["claim_generator_info"][0]["name"] == "provenance-governance"
    labels = [a["label"] for a in generation["assertions"]]
    assert labels == ["c2pa.actions", PROJECT_ASSERTION, "c2pa.soft-binding", "c2pa.soft-binding"]
    (created,) = generation["assertions"][0]["data"]["actions"]
    assert created["action"] == "c2pa.created" and created["digitalSourceType"] == TRAINED
    restoration = restoration_manifest(
        manifest_id=manifest_id,
        title="r",
        provenance=PROVENANCE,
        soft_bindings=[],
        training_mining={"ai_training": "notAllowed"},
    )
    opened, edited = restoration["assertions"][0]["data"]["actions"]
    assert opened["action"] == "c2pa.opened" and opened["parameters"]["ingredientIds"]
    assert edited["action"] == "c2pa.edited" and edited["digitalSourceType"] == COMPOSITE
    assert restoration["assertions"][-1] == {
        "label": "cawg.training-mining",
        "data": {"entries": {"cawg.ai_training": {"use": "notAllowed"}}},
    }


@pytest.mark.parametrize(
    "terms", [{"restoration": "allowed"}, {"ai_training": "maybe"}, {"cawg.ai_training": "allowed"}]
)
def test_training_mining_takes_only_cawg_uses_and_values(terms: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        restoration_manifest(
            manifest_id=new_manifest_id(),
            title="r",
            provenance=PROVENANCE,
            soft_bindings=[],
            training_mining=terms,
        )


def test_generation_reads_back_trusted_with_everything_it_says(
    generated: tuple[str, bytes, bytes], anchors: str
) -> None:
    manifest_id, signed, _ = generated
    report = inspect(signed, "image/png", anchors)
    assert report is not None
    assert report.state == "Trusted", report.codes
    assert report.manifest_id == manifest_id
    assert report.digital_source_types == [TRAINED]
    assert report.software_agents == ["builtin-generation/1.2"]
    assert report.actions == ["c2pa.created"]
    assert report.provenance == asdict(PROVENANCE)
    assert report.soft_bindings == [{"alg": b.alg, "value": b.value} for b in BINDINGS]
    assert report.signer["common_name"] == "Content credentials signer"
    assert report.signer["issuer"] == "Test museum"
    assert {"signingCredential.trusted", "assertion.dataHash.match"} <= codes_of(report, "success")
    assert report.failures == [] and report.source == "embedded"
    for code in report.codes:
        assert code["explanation"] == explain(code["code"])


def test_without_the_anchor_the_label_is_valid_but_untrusted(
    generated: tuple[str, bytes, bytes],
) -> None:
    report = inspect(generated[1], "image/png", None)
    assert report is not None and report.state == "Valid"
    assert report.failures == ["signingCredential.untrusted"]


def test_another_institutions_ca_does_not_make_it_trusted(
    generated: tuple[str, bytes, bytes],
) -> None:
    other = generate_identity("Other museum").root_pem.decode()
    report = inspect(generated[1], "image/png", other)
    assert report is not None and report.state != "Trusted"
    assert "signingCredential.untrusted" in report.failures


@pytest.mark.parametrize("parent_signed", [False, True], ids=["plain-parent", "signed-parent"])
def test_restoration_records_its_parent_and_the_terms(
    identity: SigningIdentity,
    anchors: str,
    parent_signed: bool,
    generated: tuple[str, bytes, bytes],
) -> None:
    parent = generated[1] if parent_signed else image_bytes(name="chelsea")
    manifest = restoration_manifest(
        manifest_id=new_manifest_id(),
        title="restoration 42",
        provenance=PROVENANCE,
        soft_bindings=BINDINGS[:1],
        training_mining={"ai_generative_training": "notAllowed", "data_mining": "constrained"},
    )
    signed = sign(
        image_bytes(),
        "image/png",
        manifest,
        SignerConfig.from_identity(identity),
        parent=Ingredient(parent, "image/png", "input.png"),
    )
    report = inspect(signed.data, "image/png", anchors)
    assert report is not None
    assert report.state == "Trusted", report.codes
    assert report.digital_source_types == [COMPOSITE]
    assert report.actions == ["c2pa.opened", "c2pa.edited"]
    assert report.training_mining == {
        "ai_generative_training": "notAllowed",
        "data_mining": "constrained",
    }
    (ingredient,) = report.ingredients
    assert ingredient["relationship"] == "parentOf" and ingredient["title"] == "input.png"
    assert ingredient["has_manifest"] is parent_signed
    if parent_signed:
        # The parent's own manifest travels inside the new store.
        assert ingredient["active_manifest"] == generated[0]
        assert generated[0].encode() in signed.manifest_store
    # The terms read the way the works registry reads them.
    read = read_c2pa_manifest(signed.data, "image/png", anchors)
    assert read is not None and read.validation_state == "Trusted"
    assert any(a["label"] == "cawg.training-mining" for a in read.assertions)


def test_altered_pixels_break_the_hard_binding(
    generated: tuple[str, bytes, bytes], anchors: str
) -> None:
    signed = bytearray(generated[1])
    rng = np.random.default_rng(7)
    idat = [(o, n) for kind, o, n in png_chunks(bytes(signed)) if kind == b"IDAT"]
    offset, length = idat[0]
    for position in rng.integers(offset + 8, offset + length - 4, size=8):
        signed[position] ^= 0x5A
    report = inspect(bytes(signed), "image/png", anchors)
    assert report is not None and report.state == "Invalid"
    assert "assertion.dataHash.mismatch" in report.failures
    mismatch = next(c for c in report.codes if c["code"] == "assertion.dataHash.mismatch")
    assert "changed after it was signed" in mismatch["explanation"]


def test_a_corrupt_manifest_is_an_invalid_finding_not_a_crash(
    generated: tuple[str, bytes, bytes], anchors: str
) -> None:
    signed = generated[1]
    _, offset, length = next(c for c in png_chunks(signed) if c[0] == b"caBX")
    zeroed = signed[: offset + 100] + bytes(200) + signed[offset + 300 :]
    truncated = signed[: offset + length // 2]
    for damaged in (zeroed, truncated):
        report = inspect(damaged, "image/png", anchors)
        assert report is not None and report.state == "Invalid"
        assert report.failures == ["general.error"] and report.codes[0]["detail"]
        with pytest.raises(ManifestReadError):
            read_c2pa_manifest(damaged, "image/png", anchors)


def test_files_without_c2pa_data(anchors: str) -> None:
    assert inspect(image_bytes(), "image/png", anchors) is None
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 256, size=4000, dtype=np.uint8).tobytes()
    with pytest.raises(ManifestReadError):
        inspect(noise, "image/png", anchors)


def test_a_stripped_copy_validates_against_the_kept_store(
    generated: tuple[str, bytes, bytes], anchors: str
) -> None:
    manifest_id, signed, store = generated
    stripped = strip_png(signed)
    assert b"caBX" not in stripped and inspect(stripped, "image/png", anchors) is None
    report = inspect(stripped, "image/png", anchors, manifest_store=store)
    assert report is not None
    assert report.state == "Trusted", report.codes
    assert report.manifest_id == manifest_id and report.source == "recovered"


def test_a_reencoded_copy_fails_against_the_kept_store(
    generated: tuple[str, bytes, bytes], anchors: str
) -> None:
    _, signed, store = generated
    pixels = np.asarray(Image.open(io.BytesIO(signed)))
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG", compress_level=1)
    report = inspect(out.getvalue(), "image/png", anchors, manifest_store=store)
    assert report is not None and report.state == "Invalid"
    assert "assertion.dataHash.mismatch" in report.failures
    garbage = inspect(out.getvalue(), "image/png", anchors, manifest_store=b"not a store" * 9)
    assert garbage is not None and garbage.failures == ["general.error"]


def test_jpeg_is_signed_and_a_stripped_jpeg_validates(
    identity: SigningIdentity, anchors: str
) -> None:
    manifest = generation_manifest(
        manifest_id=new_manifest_id(),
        title="jpeg",
        provenance=PROVENANCE,
        soft_bindings=BINDINGS,
        media_type="image/jpeg",
    )
    signed = sign(image_bytes("JPEG"), "image/jpeg", manifest, SignerConfig.from_identity(identity))
    report = inspect(signed.data, "image/jpeg", anchors)
    assert report is not None
    assert report.state == "Trusted", report.codes
    assert report.manifest_id == manifest["label"]
    stripped = strip_jpeg(signed.data)
    assert inspect(stripped, "image/jpeg", anchors) is None
    recovered = inspect(stripped, "image/jpeg", anchors, manifest_store=signed.manifest_store)
    assert recovered is not None
    assert recovered.state == "Trusted", recovered.codes


def test_every_code_has_a_plain_sentence() -> None:
    for code, sentence in CODES.items():
        assert sentence.endswith(".") and code not in sentence
    assert kind_of("assertion.dataHash.match") == "success"
    assert kind_of("signingCredential.ocsp.skipped") == "informational"
    assert kind_of("assertion.dataHash.mismatch") == "failure"
    unknown = explain("timeStamp.somethingNew")
    assert "timeStamp.somethingNew" in unknown and "timestamp" in unknown
    assert "content credentials" in explain("vendor.odd")
