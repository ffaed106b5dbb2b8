"""Signed checkpoints in the C2SP formats (tlog-checkpoint in a signed-note), Ed25519.

No database and no service: `govern audit verify` uses this module offline.

    <origin>\\n<size>\\n<base64 root>\\n\\n— <key name> <base64(key id || signature)>\\n

The key id is the first 4 bytes of SHA-256(name || "\\n" || 0x01 || public key);
the signature covers the note text up to and including the blank line's first "\\n".
"""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
DASH = "\u2014"


class NoteError(ValueError):
    """A checkpoint that is malformed or whose signature does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def strict_b64decode(text: str) -> bytes:
    """Base64 that must be in canonical form: the last character of a padded encoding
    carries bits decoders ignore, and a note that verifies after a byte changed is not
    tamper-evident."""
    raw = base64.b64decode(text, validate=True)
    if b64(raw) != text:
        raise ValueError("non-canonical base64")
    return raw


def key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifier_key(name: str, key: Ed25519PublicKey) -> str:
    """The signed-note verifier key string: <name>+<hex key id>+<base64(0x01 || key)>."""
    public = raw_public(key)
    return f"{name}+{key_id(name, public).hex()}+{b64(ED25519 + public)}"


def parse_verifier_key(text: str) -> tuple[str, Ed25519PublicKey]:
    try:
        # Names never contain "+"; the base64 key may, so split from the left.
        name, hex_id, encoded = text.strip().split("+", 2)
        raw = strict_b64decode(encoded)
        if raw[:1] != ED25519 or len(raw) != 33:
            raise ValueError("not an Ed25519 key")
        if key_id(name, raw[1:]).hex() != hex_id:
            raise ValueError("key id does not match the key")
        return name, Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError as exc:
        raise NoteError(f"the verifier key is malformed: {exc}") from None


def checkpoint_body(origin: str, size: int, root: bytes) -> str:
    return f"{origin}\n{size}\n{b64(root)}\n"


def sign_checkpoint(origin: str, size: int, root: bytes, name: str, key: Ed25519PrivateKey) -> str:
    body = checkpoint_body(origin, size, root)
    signature = key.sign(body.encode())
    stamp = b64(key_id(name, raw_public(key.public_key())) + signature)
    return f"{body}\n{DASH} {name} {stamp}\n"


def open_checkpoint(note: str, verifier: str) -> Checkpoint:
    """Parse and verify a signed checkpoint; NoteError says which part is wrong."""
    name, public = parse_verifier_key(verifier)
    body, separator, signatures = note.partition("\n\n")
    if not separator or not signatures.endswith("\n"):
        raise NoteError("the checkpoint is not a signed note (no blank line or final newline)")
    body += "\n"
    wanted = key_id(name, raw_public(public))
    verified = False
    for line in signatures[:-1].split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteError(f"malformed signature line: {line!r}")
        try:
            stamp = strict_b64decode(parts[2])
        except ValueError:
            raise NoteError(f"signature line is not base64: {line!r}") from None
        if parts[1] != name or stamp[:4] != wanted:
            continue
        try:
            public.verify(stamp[4:], body.encode())
            verified = True
        except InvalidSignature:
            raise NoteError(f"the signature by {name} does not verify") from None
    if not verified:
        raise NoteError(f"the checkpoint carries no signature by the key {name}")
    return parse_body(body)


def parse_body(body: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint body has origin, size and root hash lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin or not size_text.isdigit() or (size_text != "0" and size_text[0] == "0"):
        raise NoteError("the checkpoint's origin or size line is malformed")
    try:
        root = strict_b64decode(root_text)
    except ValueError:
        raise NoteError("the checkpoint's root hash is not base64") from None
    if len(root) != 32:
        raise NoteError("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin=origin, size=int(size_text), root=root)
