"""`govern audit verify BUNDLE`: check a bundle offline; name the first broken part.

Imports nothing that touches a database or the service: only the Merkle and note code.
"""

import base64
import binascii
import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import rfc8785

from governance.audit.merkle import (
    MemoryTree,
    leaf_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from governance.audit.notes import Checkpoint, NoteError, open_checkpoint, strict_b64decode

REQUIRED = ("checkpoint", "entries.jsonl", "bundle.json", "public-key.txt")


class BundleError(ValueError):
    """The first part of a bundle that does not verify, in words."""


def read_bundle(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {
            p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()
        }
    try:
        with zipfile.ZipFile(path) as archive:
            return {
                name: archive.read(name) for name in archive.namelist() if not name.endswith("/")
            }
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"{path}: not a bundle folder or zip ({exc})") from None


def verify_bundle(files: dict[str, bytes], pinned_key: str | None = None) -> list[str]:
    """The checks that passed, in order; BundleError at the first that does not."""
    done: list[str] = []
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise BundleError(f"missing file(s): {', '.join(missing)}")
    key = pinned_key or files["public-key.txt"].decode(errors="replace").strip()
    try:
        checkpoint = open_checkpoint(files["checkpoint"].decode(errors="replace"), key)
    except NoteError as exc:
        raise BundleError(f"checkpoint: {exc}") from None
    done.append(
        f"checkpoint signed by {key.split('+')[0]}"
        + ("" if pinned_key else " (key taken from the bundle; pin it with --key)")
    )
    meta = _json(files, "bundle.json")
    _check_meta(meta, checkpoint)
    leaves = _entry_leaves(files["entries.jsonl"], meta["indexes"])
    done.append(f"{len(leaves)} entries are canonical and in log order")
    size, root = checkpoint.size, checkpoint.root
    if meta["indexes"] == list(range(size)):
        if root_from_leaves(leaves) != root:
            raise BundleError(
                "entries.jsonl: the root computed from all entries differs from "
                "the checkpoint's (an entry was altered, added or removed)"
            )
        done.append(f"root of all {size} entries matches the checkpoint")
        tree: MemoryTree | None = MemoryTree(leaves)
    else:
        _check_inclusion(files, meta["indexes"], leaves, size, root)
        done.append(f"{len(leaves)} inclusion proofs lead to the checkpoint's root")
        tree = None
    consistency = _json(files, "proofs/consistency.json", [])
    if not isinstance(consistency, list):
        raise BundleError("proofs/consistency.json: not a list of proofs")
    for number, proof in enumerate(consistency):
        _check_consistency(number, proof, size, root, tree)
        done.append(f"consistency from size {proof['from']} to {size}")
    return done


def _json(files: dict[str, bytes], name: str, default: Any = None) -> Any:
    if name not in files:
        if default is not None:
            return default
        raise BundleError(f"missing file: {name}")
    try:
        return json.loads(files[name])
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{name}: not valid JSON ({exc})") from None


def _check_meta(meta: Any, checkpoint: Checkpoint) -> None:
    if not isinstance(meta, dict) or not isinstance(meta.get("indexes"), list):
        raise BundleError("bundle.json: no list of indexes")
    if meta.get("tree_size") != checkpoint.size or meta.get("origin") != checkpoint.origin:
        raise BundleError("bundle.json: its origin or tree size disagrees with the checkpoint")
    if meta.get("root_hash") != base64.b64encode(checkpoint.root).decode():
        raise BundleError("bundle.json: its root hash disagrees with the checkpoint")
    indexes = meta["indexes"]
    if any(not isinstance(i, int) or not 0 <= i < checkpoint.size for i in indexes) or any(
        a >= b for a, b in itertools.pairwise(indexes)
    ):
        raise BundleError("bundle.json: indexes must rise and lie inside the tree")


def _entry_leaves(data: bytes, indexes: list[int]) -> list[bytes]:
    if data and not data.endswith(b"\n"):
        raise BundleError("entries.jsonl: the last line is cut off (truncated file)")
    lines = data.split(b"\n")[:-1] if data else []
    if len(lines) != len(indexes):
        raise BundleError(
            f"entries.jsonl: {len(lines)} lines, but bundle.json lists "
            f"{len(indexes)} entries (truncated or padded)"
        )
    leaves = []
    for number, (line, index) in enumerate(zip(lines, indexes, strict=True), start=1):
        try:
            parsed = json.loads(line)
            canonical = rfc8785.dumps(parsed)
        except (ValueError, UnicodeDecodeError, rfc8785.CanonicalizationError) as exc:
            raise BundleError(f"entries.jsonl line {number}: not JSON ({exc})") from None
        if canonical != line:
            raise BundleError(
                f"entries.jsonl line {number}: not RFC 8785 canonical JSON (altered bytes)"
            )
        if not isinstance(parsed, dict) or parsed.get("index") != index:
            raise BundleError(
                f"entries.jsonl line {number}: holds entry "
                f"{parsed.get('index') if isinstance(parsed, dict) else '?'}, "
                f"expected entry {index} (reordered or replaced)"
            )
        leaves.append(leaf_hash(line))
    return leaves


def _decode(items: Any, where: str) -> list[bytes]:
    try:
        return [strict_b64decode(h) for h in items]
    except (binascii.Error, TypeError, ValueError):
        raise BundleError(f"{where}: a hash is not base64") from None


def _check_inclusion(
    files: dict[str, bytes], indexes: list[int], leaves: list[bytes], size: int, root: bytes
) -> None:
    raw = [line for line in files.get("proofs/inclusion.jsonl", b"").split(b"\n") if line.strip()]
    proofs = []
    for number, line in enumerate(raw, start=1):
        try:
            proof = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            raise BundleError(f"proofs/inclusion.jsonl line {number}: not JSON") from None
        if not isinstance(proof, dict):
            raise BundleError(f"proofs/inclusion.jsonl line {number}: not an object")
        proofs.append(proof)
    if len(proofs) != len(indexes):
        raise BundleError(
            f"proofs/inclusion.jsonl: {len(proofs)} proofs for {len(indexes)} entries"
        )
    for number, (proof, index, leaf) in enumerate(zip(proofs, indexes, leaves, strict=True), 1):
        hashes = _decode(proof.get("proof", []), f"proofs/inclusion.jsonl line {number}")
        if proof.get("index") != index or not verify_inclusion(leaf, index, size, hashes, root):
            raise BundleError(
                f"entries.jsonl line {number} (entry {index}): its inclusion "
                "proof does not lead to the checkpoint's root"
            )


def _check_consistency(
    number: int, proof: Any, size: int, root: bytes, tree: MemoryTree | None
) -> None:
    where = f"proofs/consistency.json item {number + 1}"
    if (
        not isinstance(proof, dict)
        or proof.get("to") != size
        or not isinstance(proof.get("from"), int)
    ):
        raise BundleError(f"{where}: malformed")
    old_root = _decode([proof.get("from_root", "")], where)[0]
    hashes = _decode(proof.get("proof", []), where)
    if not verify_consistency(proof["from"], size, old_root, root, hashes):
        raise BundleError(f"{where}: size {proof['from']} is not a prefix of the checkpoint")
    if tree is not None and tree.root(proof["from"]) != old_root:
        raise BundleError(
            f"{where}: the root given for size {proof['from']} is not the "
            "root of the bundle's first entries"
        )
