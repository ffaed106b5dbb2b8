"""Signing C2PA manifests into files (adapter: one of the modules allowed to import c2pa).

Builders and signers are native and single-use per thread: made per call, closed with `with`.
"""

import io
from typing import Any

import c2pa

from labeling.errors import LabelingError
from labeling.identity import SigningIdentity


class SigningError(LabelingError):
    pass


def sign_manifest(
    data: bytes, media_type: str, manifest: dict[str, Any], identity: SigningIdentity
) -> bytes:
    """`data` with `manifest` signed into it (ES256, offline: no timestamp authority)."""
    info = c2pa.C2paSignerInfo(
        alg=b"es256", sign_cert=identity.chain_pem, private_key=identity.key_pem, ta_url=None
    )
    out = io.BytesIO()
    try:
        with c2pa.Signer.from_info(info) as signer, c2pa.Builder(manifest) as builder:
            builder.sign(signer, media_type, io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        raise SigningError(f"signing failed: {exc}") from exc
    return out.getvalue()
