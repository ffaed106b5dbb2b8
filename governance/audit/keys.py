"""The log's Ed25519 signing key: generated on first run (0600) or loaded from a PEM."""

import os
import tempfile
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
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"the audit signing key {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidInput(f"the audit signing key {path} is not an Ed25519 key")
    return key


def _create(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a private name, then linked into place: a process that loses
    # the race to create the key reads the winner's complete file, never a partial one.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.link(tmp, path)
    except FileExistsError:
        return load_or_create_key(None, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return key
