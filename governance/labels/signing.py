"""The service's signing identity: configured PEM files or callback, else a development CA.

The development CA and signer are generated once into the data dir (key 0600); every
process of the deployment then signs with the same identity, and outside verifiers pin
its root from `GET /v1/labels/ca.pem`.
"""

import importlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key

from governance.errors import InvalidInput
from governance.settings import Settings
from labeling.c2pa_sign import SignerConfig
from labeling.identity import generate_identity

CHAIN_FILE, KEY_FILE = "chain.pem", "key.pem"


@dataclass(frozen=True)
class SigningSetup:
    signer: SignerConfig
    root_pem: bytes  # the anchor outside verifiers pin
    source: str  # "development" or "configured", for the health of a deployment


def load_signing(settings: Settings) -> SigningSetup:
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
    root = (
        settings.signing_root.read_bytes()
        if settings.signing_root
        else certificates[-1].public_bytes(Encoding.PEM)
    )
    return SigningSetup(
        SignerConfig(
            chain_pem=chain, key_pem=key_pem, callback=callback, tsa_url=settings.signing_tsa_url
        ),
        root_pem=root,
        source="configured",
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
