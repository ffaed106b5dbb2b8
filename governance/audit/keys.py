"""The log's Ed25519 signing key: generated on first run (0600) or loaded from a PEM."""

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from governance.errors import InvalidInput


def load_or_create_key(configured: Path | None, default: Path) -> Ed25519PrivateKey:
    path = configured or default
    if not path.exists():
        if configured is not None:
            raise InvalidInput(f"the audit signing key {path} does not exist")
        return _create(path)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"the audit signing key {path} is not an Ed25519 key")
    return key


def _create(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not each write their own key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create_key(None, path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key
