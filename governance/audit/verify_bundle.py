"""`govern audit verify BUNDLE`: check a bundle offline; name the first broken part.

Imports nothing that touches a database or the service: only the Merkle and note code.
Only what the signed checkpoint commits to is trusted: the entries (through the root)
and their own fields. bundle.json only says where to look, so every claim it makes is
checked against the signed entries.
"""

import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from governance.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    leaf_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)
from governance.audit.notes import (
    Checkpoint,
    NoteError,
    open_checkpoint,
    parse_verifier_key,
    raw_public,
    strict_b64decode,
)

FORMAT = "govern-audit-bundle/1"
REQUIRED = (
    "checkpoint",
    "entries.jsonl",
    "bundle.json",
    "public-key.txt",
    "proofs/consistency.json",
)


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
    except Exception as exc:  # zipfile raises many types for damaged or odd archives
        raise BundleError(f"{path}: not a readable bundle folder or zip ({exc})") from None


def bundled_key(files: dict[str, bytes]) -> str:
    """The verifier key the bundle carries: trust it only if you have no other."""
    return files.get("public-key.txt", b"").decode(errors="replace").strip()


def verify_bundle(files: dict[str, bytes], verifier_key: str) -> list[str]:
    """The checks that passed, in order; BundleError at the first that does not."""
    done: list[str] = []
    missing = [name for name in REQUIRED if name not in files]
    if missing:
        raise BundleError(f"missing file(s): {', '.join(missing)}")
    _check_bundled_keys(files, verifier_key)
    try:
        checkpoint = open_checkpoint(files["checkpoint"].decode(errors="replace"), verifier_key)
    except NoteError as exc:
        raise BundleError(f"checkpoint: {exc}") from None
    done.append(f"checkpoint of size {checkpoint.size} signed by {verifier_key.split('+')[0]}")
    meta = _json(files, "bundle.json")
    _check_meta(meta, checkpoint)
    indexes: list[int] = meta["indexes"]
    leaves, entries = _entry_leaves(files["entries.jsonl"], indexes)
    _check_selection(meta["selection"], indexes, entries)
    done.append(f"{len(leaves)} entries are canonical, in log order and as selected")
    size, root = checkpoint.size, checkpoint.root
    tree: MemoryTree | None = None
    if indexes == list(range(size)):
        if root_from_leaves(leaves) != root:
            raise BundleError(
                "entries.jsonl: the root computed from all entries differs from "
                "the checkpoint's (an entry was altered, added or removed)"
            )
        done.append(f"root of all {size} entries matches the checkpoint")
        tree = MemoryTree(leaves)
    else:
        _check_inclusion(
            files.get("proofs/inclusion.jsonl", b""),
            indexes,
            leaves,
            size,
            root,
        )
        done.append(f"{len(leaves)} inclusion proofs lead to the checkpoint's root")
    consistency = _json(files, "proofs/consistency.json")
    if (
        not isinstance(consistency, list)
        or [p.get("from") if isinstance(p, dict) else None for p in consistency]
        != meta["consistency_from"]
    ):
        raise BundleError("proofs/consistency.json: not the proofs bundle.json lists")
    for number, proof in enumerate(consistency):
        _check_consistency(number, proof, size, root, tree)
        done.append(f"consistency from size {proof['from']} to {size}")
    return done


def _check_bundled_keys(files: dict[str, bytes], verifier_key: str) -> None:
    try:
        _name, pinned = parse_verifier_key(verifier_key)
    except NoteError as exc:
        raise BundleError(f"the key to verify with: {exc}") from None
    if bundled_key(files) != verifier_key:
        raise BundleError("public-key.txt: not the key you pinned (signed by another key?)")
    if "public-key.pem" in files:
        try:
            pem = load_pem_public_key(files["public-key.pem"])
            same = raw_public(pem) == raw_public(pinned)  # type: ignore[arg-type]
        except Exception:  # any malformed PEM
            same = False
        if not same:
            raise BundleError("public-key.pem: not the same key as public-key.txt")


def _json(files: dict[str, bytes], name: str) -> Any:
    try:
        return json.loads(files[name])
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BundleError(f"{name}: not valid JSON ({type(exc).__name__})") from None


def _is_index(value: Any, size: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < size


def _check_meta(meta: Any, checkpoint: Checkpoint) -> None:
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BundleError(f"bundle.json: not a {FORMAT} description")
    if meta.get("tree_size") != checkpoint.size or meta.get("origin") != checkpoint.origin:
        raise BundleError("bundle.json: its origin or tree size disagrees with the checkpoint")
    indexes, since = meta.get("indexes"), meta.get("consistency_from")
    if not isinstance(indexes, list) or not all(_is_index(i, checkpoint.size) for i in indexes):
        raise BundleError("bundle.json: indexes must be entries of the tree")
    if any(a >= b for a, b in itertools.pairwise(indexes)):
        raise BundleError("bundle.json: indexes must rise")
    if not isinstance(since, list) or not all(_is_index(s, checkpoint.size + 1) for s in since):
        raise BundleError("bundle.json: consistency_from must list tree sizes")
    if not isinstance(meta.get("selection"), dict):
        raise BundleError("bundle.json: no selection")


def _check_selection(
    selection: dict[str, Any], indexes: list[int], entries: list[dict[str, Any]]
) -> None:
    if set(selection) == {"from", "to"}:
        if indexes != list(range(selection["from"], selection["to"])):
            raise BundleError("bundle.json: the entries are not the range it names")
    elif set(selection) == {"subject"}:
        for number, entry in enumerate(entries, start=1):
            if entry.get("subject") != selection["subject"]:
                raise BundleError(
                    f"entries.jsonl line {number}: not about {selection['subject']!r}"
                )
    else:
        raise BundleError("bundle.json: the selection is neither a range nor a subject")


def _lines(data: bytes, name: str) -> list[bytes]:
    if not data:
        return []
    if not data.endswith(b"\n"):
        raise BundleError(f"{name}: the last line is cut off (truncated file)")
    return data[:-1].split(b"\n")


def _entry_leaves(data: bytes, indexes: list[int]) -> tuple[list[bytes], list[dict[str, Any]]]:
    lines = _lines(data, "entries.jsonl")
    if len(lines) != len(indexes):
        raise BundleError(
            f"entries.jsonl: {len(lines)} lines, but bundle.json lists "
            f"{len(indexes)} entries (truncated or padded)"
        )
    leaves, entries = [], []
    for number, (line, index) in enumerate(zip(lines, indexes, strict=True), start=1):
        try:
            parsed = json.loads(line)
            canonical = rfc8785.dumps(parsed)
        except (
            ValueError,
            UnicodeDecodeError,
            RecursionError,
            rfc8785.CanonicalizationError,
        ) as exc:
            raise BundleError(
                f"entries.jsonl line {number}: not JSON ({type(exc).__name__})"
            ) from None
        if canonical != line:
            raise BundleError(
                f"entries.jsonl line {number}: not RFC 8785 canonical JSON (altered bytes)"
            )
        if not isinstance(parsed, dict) or parsed.get("index") != index:
            raise BundleError(
                f"entries.jsonl line {number}: is not entry {index} (reordered or replaced)"
            )
        leaves.append(leaf_hash(line))
        entries.append(parsed)
    return leaves, entries


def _hashes(items: Any, where: str) -> list[bytes]:
    try:
        return [strict_b64decode(h) for h in items]
    except (TypeError, ValueError):
        raise BundleError(f"{where}: a hash is not canonical base64") from None


def _check_inclusion(
    data: bytes, indexes: list[int], leaves: list[bytes], size: int, root: bytes
) -> None:
    lines = _lines(data, "proofs/inclusion.jsonl")
    if len(lines) != len(indexes):
        raise BundleError(f"proofs/inclusion.jsonl: {len(lines)} proofs for {len(indexes)} entries")
    for number, (line, index, leaf) in enumerate(zip(lines, indexes, leaves, strict=True), 1):
        where = f"proofs/inclusion.jsonl line {number}"
        try:
            proof = json.loads(line)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BundleError(f"{where}: not JSON") from None
        if not isinstance(proof, dict) or not isinstance(proof.get("proof"), list):
            raise BundleError(f"{where}: not a proof")
        hashes = _hashes(proof["proof"], where)
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
        or not isinstance(proof.get("proof"), list)
    ):
        raise BundleError(f"{where}: malformed")
    old = proof["from"]
    old_root = _hashes([proof.get("from_root", "")], where)[0]
    hashes = _hashes(proof["proof"], where)
    # RFC 9162 calls size 0 trivially consistent; its root is still the empty hash.
    if (old == 0 and old_root != EMPTY_ROOT) or not verify_consistency(
        old, size, old_root, root, hashes
    ):
        raise BundleError(f"{where}: size {old} is not a prefix of the checkpoint")
    if tree is not None and tree.root(old) != old_root:
        raise BundleError(
            f"{where}: the root given for size {old} is not the root of the bundle's first entries"
        )
