"""Signing C2PA manifests into files (adapter: one of the modules allowed to import c2pa).

Builders and signers are native and single-use per thread: made per call, closed with `with`.
Settings reach c2pa only through a Context passed to the Builder (`load_settings` is
ignored), and c2pa accepts unknown keys silently, so tests check each setting's effect.

Measured with c2pa-rs 0.91 (c2pa-python 0.38):
- a signing callback may return the ECDSA signature raw (r||s, IEEE P1363, as COSE
  requires) or DER: c2pa-rs converts DER and stores r||s either way;
- an unreachable timestamp authority fails the whole signing (no untimestamped
  fallback), within milliseconds for a refused connection;
- the thumbnail costs ~50 ms per 512 px PNG against ~2 ms without: it is off unless asked.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import c2pa

from labeling.c2pa_manifest import PARENT_INGREDIENT_ID
from labeling.errors import LabelingError
from labeling.identity import SigningIdentity

ALGORITHMS = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")


class SigningError(LabelingError):
    pass


class TimestampError(SigningError):
    """The timestamp authority could not be reached or refused to answer."""


@dataclass(frozen=True)
class SignerConfig:
    """A certificate chain (end-entity first) and either its private key or a callback.

    The callback receives the bytes to be signed and returns the signature (for an HSM or
    a KMS that never releases the key).
    """

    chain_pem: bytes
    key_pem: bytes | None = None
    callback: Callable[[bytes], bytes] | None = None
    tsa_url: str | None = None
    alg: str = "es256"

    def __post_init__(self) -> None:
        if (self.key_pem is None) == (self.callback is None):
            raise ValueError("a signer needs exactly one of key_pem and callback")
        if self.alg not in ALGORITHMS:
            raise ValueError(f"unknown signing algorithm {self.alg!r}; one of {ALGORITHMS}")

    @classmethod
    def from_identity(cls, identity: SigningIdentity, tsa_url: str | None = None) -> "SignerConfig":
        return cls(chain_pem=identity.chain_pem, key_pem=identity.key_pem, tsa_url=tsa_url)


@dataclass(frozen=True)
class Ingredient:
    """The parent file as uploaded."""

    data: bytes
    media_type: str
    title: str


@dataclass(frozen=True)
class Signed:
    data: bytes  # the signed file
    manifest_store: bytes  # the embedded manifest store, to keep for stripped copies


def sign(
    data: bytes,
    media_type: str,
    manifest: dict[str, Any],
    signer: SignerConfig,
    *,
    parent: Ingredient | None = None,
    thumbnail: bool = False,
    trust_anchors_pem: str | None = None,
) -> Signed:
    """`data` with `manifest` signed into it.

    A `parent` is added as the `parentOf` ingredient under PARENT_INGREDIENT_ID (the id a
    restoration manifest's `c2pa.opened` action names); a parent that carries its own
    manifest keeps it, inside the new manifest store.
    """
    callback_failures: list[Exception] = []
    out = io.BytesIO()
    try:
        with (
            c2pa.Context.from_dict(signing_settings(thumbnail, trust_anchors_pem)) as context,
            _native_signer(signer, callback_failures) as native_signer,
            c2pa.Builder(manifest, context=context) as builder,
        ):
            if parent is not None:
                ingredient = {
                    "title": parent.title,
                    "relationship": "parentOf",
                    "label": PARENT_INGREDIENT_ID,
                }
                builder.add_ingredient(ingredient, parent.media_type, io.BytesIO(parent.data))
            store = builder.sign(native_signer, media_type, io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        cause = callback_failures[-1] if callback_failures else exc
        raise _signing_error(exc, signer, callback_failures) from cause
    return Signed(data=out.getvalue(), manifest_store=bytes(store))


def sign_manifest(
    data: bytes, media_type: str, manifest: dict[str, Any], identity: SigningIdentity
) -> bytes:
    """`data` with `manifest` signed into it (offline: no timestamp authority)."""
    return sign(data, media_type, manifest, SignerConfig.from_identity(identity)).data


def signing_settings(thumbnail: bool, trust_anchors_pem: str | None = None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "builder": {"thumbnail": {"enabled": thumbnail}},
        # Signing checks its own output; that check must not reach the network either.
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    }
    if trust_anchors_pem:
        # A parent's own manifest is judged as the verifier would: signed by a trusted CA
        # (the service's own outputs included) it is recorded as trusted.
        settings["trust"] = {"trust_anchors": trust_anchors_pem}
    return settings


def _native_signer(config: SignerConfig, failures: list[Exception]) -> Any:
    if config.callback is None:
        info = c2pa.C2paSignerInfo(
            alg=config.alg.encode(),
            sign_cert=config.chain_pem,
            private_key=config.key_pem,
            ta_url=config.tsa_url.encode() if config.tsa_url else None,
        )
        return c2pa.Signer.from_info(info)
    callback = config.callback

    def recorded(payload: bytes) -> bytes:
        # c2pa swallows the callback's exception and reports only "COSE signature
        # invalid"; the original is kept to tell the caller what really failed.
        try:
            return callback(payload)
        except Exception as exc:
            failures.append(exc)
            raise

    alg = c2pa.C2paSigningAlg[config.alg.upper()]
    return c2pa.Signer.from_callback(recorded, alg, config.chain_pem.decode(), config.tsa_url)


def _signing_error(
    exc: Exception, config: SignerConfig, callback_failures: list[Exception]
) -> SigningError:
    message = str(exc)
    if callback_failures:
        failure = callback_failures[-1]
        return SigningError(f"the signing callback failed: {type(failure).__name__}: {failure}")
    lowered = message.lower()
    if config.tsa_url and any(w in lowered for w in ("http", "timestamp", "time stamp")):
        return TimestampError(
            f"the timestamp authority at {config.tsa_url} could not be used, so nothing was "
            f"signed: {message}"
        )
    return SigningError(f"signing failed: {message}")
