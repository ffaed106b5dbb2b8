"""The service's signing identity: configured PEM files or callback, else a development CA.

The development CA and signer are generated once into the data dir (key 0600); every
process of the deployment then signs with the same identity, and outside verifiers pin
its root from `GET /v1/labels/ca.pem`.
"""

import importlib
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from PIL import Image

from governance.errors import InvalidInput
from governance.settings import Settings
from labeling.c2pa_read import inspect
from labeling.c2pa_sign import SignerConfig, SigningError, sign
from labeling.errors import ManifestReadError
from labeling.identity import generate_identity
from labeling.visible import draw_label

CHAIN_FILE, KEY_FILE = "chain.pem", "key.pem"
# The self-test image is a blank made by the service, never stored or served.
MINIMAL = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCreation"


@dataclass(frozen=True)
class SigningSetup:
    signer: SignerConfig
    root_pem: bytes  # the anchor outside verifiers pin
    source: str  # "development" or "configured", for the health of a deployment


def load_signing(settings: Settings) -> SigningSetup:
    """The signing setup, proven by one signature made and verified against the published
    root: a key that does not match its certificate, a chain out of order or a root that
    does not anchor it stops the service here, not as a failure of every call."""
    setup = _signing_setup(settings)
    _self_test(setup)
    return setup


def _signing_setup(settings: Settings) -> SigningSetup:
    if settings.signing_cert_chain is None:
        if settings.signing_key is not None or settings.signing_callback is not None:
            raise InvalidInput(
                "GOVERN_SIGNING_KEY and GOVERN_SIGNING_CALLBACK need GOVERN_SIGNING_CERT_CHAIN"
            )
        chain, key = _development_identity(settings.signing_dir, settings.label_producer)
        return SigningSetup(
            SignerConfig(chain_pem=chain, key_pem=key, tsa_url=settings.signing_tsa_url),
            root_pem=_certificates(chain)[-1].public_bytes(Encoding.PEM),
            source="development",
        )
    chain = settings.signing_cert_chain.read_bytes()
    certificates = _certificates(chain)
    if len(certificates) < 2:
        raise InvalidInput(
            "the signing chain must hold the end-entity certificate and its issuer: "
            "C2PA refuses self-signed signers"
        )
    callback = _callback(settings.signing_callback) if settings.signing_callback else None
    key_pem: bytes | None = None
    if callback is None:
        if settings.signing_key is None:
            raise InvalidInput("GOVERN_SIGNING_CERT_CHAIN needs GOVERN_SIGNING_KEY or a callback")
        key_pem = settings.signing_key.read_bytes()
        try:
            load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"the signing key cannot be read: {exc}") from None
    root = certificates[-1].public_bytes(Encoding.PEM)
    if settings.signing_root:
        root = settings.signing_root.read_bytes()
        _certificates(root)
    return SigningSetup(
        SignerConfig(
            chain_pem=chain,
            key_pem=key_pem,
            callback=callback,
            tsa_url=settings.signing_tsa_url,
            alg=algorithm_of(certificates[0]),
        ),
        root_pem=root,
        source="configured",
    )


def algorithm_of(certificate: x509.Certificate) -> str:
    """The C2PA signing algorithm the end-entity certificate's key calls for."""
    key = certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
    elif isinstance(key, rsa.RSAPublicKey) and key.key_size >= 2048:
        return "ps256"
    elif isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    raise InvalidInput(
        "the signing certificate's key is not one C2PA accepts: EC P-256/384/521, "
        "RSA of 2048 bits or more, or Ed25519"
    )


def _self_test(setup: SigningSetup) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    manifest = {
        "claim_generator_info": [{"name": "provenance-governance"}],
        "title": "signing self-test",
        "format": "image/png",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": MINIMAL}]},
            }
        ],
    }
    # Without the timestamp authority: its reachability is judged per call, not at start.
    offline = replace(setup.signer, tsa_url=None)
    try:
        signed = sign(buffer.getvalue(), "image/png", manifest, offline).data
        report = inspect(signed, "image/png", setup.root_pem.decode())
    except (SigningError, ManifestReadError, ValueError) as exc:
        raise InvalidInput(f"the signing identity cannot sign: {exc}") from None
    if report is None or report.state != "Trusted":
        failures = ", ".join(
            c["code"] for c in (report.codes if report else []) if c["kind"] == "failure"
        )
        raise InvalidInput(
            "a test signature does not verify as Trusted against the published root "
            f"({report.state if report else 'no manifest'}: {failures or 'no reason given'}); "
            "check that the chain starts with the signer's certificate, matches the key "
            "and ends at the root"
        )


def _certificates(pem: bytes) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise InvalidInput(f"the signing chain is not PEM certificates: {exc}") from None
    return certificates


def _callback(spec: str) -> Callable[[bytes], bytes]:
    module_name, _, function = spec.partition(":")
    if not module_name or not function:
        raise InvalidInput(f"GOVERN_SIGNING_CALLBACK must be module:function, not {spec!r}")
    try:
        found = getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError) as exc:
        raise InvalidInput(f"the signing callback {spec} cannot be loaded: {exc}") from None
    if not callable(found):
        raise InvalidInput(f"the signing callback {spec} is not callable")
    return cast(Callable[[bytes], bytes], found)


def _development_identity(directory: Path, organisation: str) -> tuple[bytes, bytes]:
    if not (directory / CHAIN_FILE).exists():
        identity = generate_identity(organisation)
        directory.parent.mkdir(parents=True, exist_ok=True)
        # Both files are written into a private folder that is renamed into place: a
        # process losing the race to create them reads the winner's, never a half pair.
        staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".signing-"))
        try:
            (staging / CHAIN_FILE).write_bytes(identity.chain_pem)
            key_path = staging / KEY_FILE
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(identity.key_pem)
            try:
                staging.rename(directory)
            except OSError:
                if not (directory / CHAIN_FILE).exists():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return (directory / CHAIN_FILE).read_bytes(), (directory / KEY_FILE).read_bytes()


def check_visible_label(settings: Settings) -> None:
    """Draw the configured label once at start: text the fonts cannot draw would
    otherwise fail every call that asks for it."""
    font = str(settings.visible_label_font) if settings.visible_label_font else None
    try:
        draw_label(np.zeros((512, 512, 3), np.uint8), settings.visible_label_text, font_path=font)
    except (ValueError, OSError) as exc:
        raise InvalidInput(f"GOVERN_VISIBLE_LABEL_TEXT cannot be drawn: {exc}") from None
