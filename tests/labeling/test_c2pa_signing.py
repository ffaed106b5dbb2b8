"""Signing with c2pa: settings that really take effect, signers, timestamp failures.

c2pa accepts unknown settings keys silently, so each setting is checked by its effect.
"""

import http.server
import io
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import skimage.data
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from PIL import Image

from labeling.c2pa_manifest import (
    TRAINED,
    CallProvenance,
    SoftBinding,
    generation_manifest,
    new_manifest_id,
    restoration_manifest,
)
from labeling.c2pa_read import inspect, read_c2pa_manifest
from labeling.c2pa_sign import (
    Ingredient,
    SignerConfig,
    SigningError,
    TimestampError,
    sign,
    sign_manifest,
)
from labeling.identity import SigningIdentity, generate_identity

PROVENANCE = CallProvenance(
    service="svc",
    call_id=1,
    audit_index=0,
    evidence_sha256="00" * 32,
    model_id=1,
    model_name="m",
    model_version="1",
    weights_sha256="11" * 32,
)
THUMBNAIL_LABEL = b"c2pa.thumbnail.claim"
PHOTO: Callable[[], Any] = skimage.data.astronaut


def png(size: int = 256) -> bytes:
    out = io.BytesIO()
    Image.fromarray(PHOTO()).resize((size, size)).save(out, "PNG")
    return out.getvalue()


def manifest(**overrides: object) -> dict[str, Any]:
    return generation_manifest(
        manifest_id=new_manifest_id(),
        title="t",
        provenance=PROVENANCE,
        soft_bindings=[SoftBinding("org.example.any-alg.1", "abc123")],
    ) | dict(overrides)


@pytest.fixture(scope="module")
def identity() -> SigningIdentity:
    return generate_identity("Signing museum")


@pytest.fixture(scope="module")
def anchors(identity: SigningIdentity) -> str:
    return identity.root_pem.decode()


@pytest.fixture
def failing_tsa() -> Iterator[str]:
    """A local timestamp authority that answers every request with HTTP 500."""

    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/tsa"
    server.shutdown()
    server.server_close()


def test_the_caller_chosen_label_is_the_manifest_id(
    identity: SigningIdentity, anchors: str
) -> None:
    definition = manifest()
    signed = sign(png(), "image/png", definition, SignerConfig.from_identity(identity))
    report = inspect(signed.data, "image/png", anchors)
    assert report is not None and report.manifest_id == definition["label"]
    assert report.state == "Trusted"
    # c2pa-rs refuses a label that is not urn:c2pa:<uuid>: the reason manifest.py checks it.
    with pytest.raises(SigningError, match="Claim GUID"):
        sign(
            png(),
            "image/png",
            manifest(label="urn:uuid:" + definition["label"][9:]),
            SignerConfig.from_identity(identity),
        )


def test_thumbnail_setting_takes_effect(identity: SigningIdentity) -> None:
    signer = SignerConfig.from_identity(identity)
    without = sign(png(), "image/png", manifest(), signer)
    with_thumbnail = sign(png(), "image/png", manifest(), signer, thumbnail=True)
    assert THUMBNAIL_LABEL not in without.manifest_store
    assert THUMBNAIL_LABEL in with_thumbnail.manifest_store
    assert len(with_thumbnail.manifest_store) > len(without.manifest_store) + 1000


def test_the_store_returned_is_the_one_embedded(identity: SigningIdentity) -> None:
    signed = sign(png(), "image/png", manifest(), SignerConfig.from_identity(identity))
    assert signed.manifest_store and signed.manifest_store in signed.data


@pytest.mark.parametrize("encoding", ["raw", "der"])
def test_a_callback_signer_may_return_raw_or_der(
    identity: SigningIdentity, anchors: str, encoding: str
) -> None:
    key = serialization.load_pem_private_key(identity.key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    raw_signatures: list[bytes] = []

    def callback(payload: bytes) -> bytes:
        der = key.sign(payload, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        raw_signatures.append(raw)
        return raw if encoding == "raw" else der

    signer = SignerConfig(chain_pem=identity.chain_pem, callback=callback)
    signed = sign(png(), "image/png", manifest(), signer)
    report = inspect(signed.data, "image/png", anchors)
    assert report is not None
    assert report.state == "Trusted", report.codes
    # COSE wants r||s: c2pa-rs stores it so even when the callback answered DER.
    assert raw_signatures and raw_signatures[-1] in signed.manifest_store


def test_a_failing_callback_is_named(identity: SigningIdentity) -> None:
    def callback(payload: bytes) -> bytes:
        raise ConnectionError("HSM unreachable")

    signer = SignerConfig(chain_pem=identity.chain_pem, callback=callback)
    with pytest.raises(SigningError, match="HSM unreachable") as caught:
        sign(png(), "image/png", manifest(), signer)
    assert isinstance(caught.value.__cause__, ConnectionError)
    assert not isinstance(caught.value, TimestampError)


@pytest.mark.parametrize("use_callback", [False, True], ids=["key", "callback"])
def test_an_unreachable_timestamp_authority_is_a_timestamp_error(
    identity: SigningIdentity, use_callback: bool
) -> None:
    url = "http://127.0.0.1:9/"  # the discard port: refused at once
    key = serialization.load_pem_private_key(identity.key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    signer = (
        SignerConfig(
            chain_pem=identity.chain_pem,
            callback=lambda payload: key.sign(payload, ec.ECDSA(hashes.SHA256())),
            tsa_url=url,
        )
        if use_callback
        else SignerConfig.from_identity(identity, tsa_url=url)
    )
    with pytest.raises(TimestampError, match=re.escape(f"timestamp authority at {url}")):
        sign(png(), "image/png", manifest(), signer)


def test_a_refusing_timestamp_authority_is_a_timestamp_error(
    identity: SigningIdentity, failing_tsa: str
) -> None:
    with pytest.raises(TimestampError, match="500"):
        sign(
            png(),
            "image/png",
            manifest(),
            SignerConfig.from_identity(identity, tsa_url=failing_tsa),
        )


def test_signer_config_needs_exactly_one_key_source(identity: SigningIdentity) -> None:
    with pytest.raises(ValueError):
        SignerConfig(chain_pem=identity.chain_pem)
    with pytest.raises(ValueError):
        SignerConfig(chain_pem=identity.chain_pem, key_pem=identity.key_pem, callback=bytes)
    with pytest.raises(ValueError, match="algorithm"):
        SignerConfig(chain_pem=identity.chain_pem, key_pem=identity.key_pem, alg="es257")


def test_c2pa_checks_soft_bindings_but_not_their_algorithm_names(
    identity: SigningIdentity, anchors: str
) -> None:
    signer = SignerConfig.from_identity(identity)
    unlisted = manifest()  # "org.example.any-alg.1" is on no registry
    report = inspect(sign(png(), "image/png", unlisted, signer).data, "image/png", anchors)
    assert report is not None and report.soft_bindings == [
        {"alg": "org.example.any-alg.1", "value": "abc123"}
    ]
    malformed = manifest()
    malformed["assertions"].append(
        {"label": "c2pa.soft-binding", "data": {"alg": "x", "blocks": [{"scope": {}, "value": 5}]}}
    )
    with pytest.raises(SigningError, match="soft binding"):
        sign(png(), "image/png", malformed, signer)


def test_a_restoration_without_its_parent_is_refused(identity: SigningIdentity) -> None:
    definition = restoration_manifest(
        manifest_id=new_manifest_id(),
        title="r",
        provenance=PROVENANCE,
        soft_bindings=[],
        training_mining=None,
    )
    signer = SignerConfig.from_identity(identity)
    with pytest.raises(SigningError, match="ingredient"):
        sign(png(), "image/png", definition, signer)
    parent = Ingredient(png(128), "image/png", "input.png")
    assert sign(png(), "image/png", definition, signer, parent=parent).data


def test_sign_manifest_still_signs_for_the_works_registry(
    identity: SigningIdentity, anchors: str
) -> None:
    data = sign_manifest(png(), "image/png", manifest(), identity)
    read = read_c2pa_manifest(data, "image/png", anchors)
    assert read is not None and read.validation_state == "Trusted"
    actions = next(a for a in read.assertions if a["label"].startswith("c2pa.actions"))
    assert actions["data"]["actions"][0]["digitalSourceType"] == TRAINED
