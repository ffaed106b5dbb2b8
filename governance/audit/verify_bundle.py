"""`govern audit verify BUNDLE`: check a bundle offline; name the first broken part.

Imports nothing that touches a database or the service: only the Merkle and note code.
Only what the signed checkpoint commits to is trusted: the entries (through the root)
and their own fields. bundle.json only says where to look, so every claim it makes is
checked against the signed entries. It reads every format version that
bundle_format.py names.

What a bundle can prove: that each entry is genuine (in the signed tree), in log order,
and as selected. A range bundle is also complete: it holds every entry of the range. A
subject bundle cannot be: the tree hashes whole entries, so nothing short of every entry
shows which of the others are about the subjects. Its entries are shown to be about the
listed subjects, and the verifier says that completeness is not shown.
"""

import io
import json
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import rfc8785
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from governance.audit.bundle_format import MetaError, Selection, SubjectSelection, check_meta
from governance.audit.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    node_hash,
    range_hash,
    verify_consistency,
    verify_inclusion,
)
from governance.audit.notes import (
    NoteError,
    open_checkpoint,
    parse_verifier_key,
    raw_public,
    strict_b64decode,
)

REQUIRED = (
    "checkpoint",
    "entries.jsonl",
    "bundle.json",
    "public-key.txt",
    "proofs/consistency.json",
)


class BundleError(ValueError):
    """The first part of a bundle that does not verify, in words."""


class Bundle:
    """A bundle's files, read whole when small and line by line when large. Over a dict
    of bytes (tests, downloaded zips), a folder, or an open zip."""

    def __init__(
        self, files: Mapping[str, bytes] | Path, archive: zipfile.ZipFile | None = None
    ) -> None:
        self._files, self._archive = files, archive

    def names(self) -> set[str]:
        return set(self.listed())

    def listed(self) -> list[str]:
        """Every file's name, as often as the archive holds it (a zip can hold a name twice)."""
        if self._archive is not None:
            return [n for n in self._archive.namelist() if not n.endswith("/")]
        if isinstance(self._files, Path):
            root = self._files
            return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        return list(self._files)

    def open(self, name: str) -> IO[bytes]:
        if self._archive is not None:
            return self._archive.open(name)
        if isinstance(self._files, Path):
            return (self._files / name).open("rb")
        return io.BytesIO(self._files[name])

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    def get(self, name: str, default: bytes = b"") -> bytes:
        return self.read(name) if name in self.names() else default


@contextmanager
def open_bundle(path: Path) -> Iterator[Bundle]:
    """A bundle folder or zip, to verify without reading it into memory."""
    if path.is_dir():
        yield Bundle(path)
        return
    try:
        archive = zipfile.ZipFile(path)
    except Exception as exc:  # zipfile raises many types for damaged or odd archives
        raise BundleError(f"{path}: not a readable bundle folder or zip ({exc})") from None
    with archive:
        yield Bundle({}, archive)


def read_bundle(path: Path) -> dict[str, bytes]:
    """A (small) bundle's files in memory."""
    with open_bundle(path) as bundle:
        try:
            return {name: bundle.read(name) for name in bundle.names()}
        except Exception as exc:  # a damaged member of a readable zip
            raise BundleError(f"{path}: not a readable bundle folder or zip ({exc})") from None


def _as_bundle(files: Mapping[str, bytes] | Bundle) -> Bundle:
    return files if isinstance(files, Bundle) else Bundle(files)


def bundled_key(files: Mapping[str, bytes] | Bundle) -> str:
    """The verifier key the bundle carries: trust it only if you have no other."""
    return _as_bundle(files).get("public-key.txt").decode(errors="replace").strip()


def verify_bundle(files: Mapping[str, bytes] | Bundle, verifier_key: str) -> list[str]:
    """The checks that passed, in order; BundleError at the first that does not.
    Entries and inclusion proofs are read line by line, so memory stays bounded."""
    try:
        return _verify(_as_bundle(files), verifier_key)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        # A zip member damaged past its header shows only when it is read.
        raise BundleError(f"a file of the bundle cannot be read ({exc})") from None


def _verify(bundle: Bundle, verifier_key: str) -> list[str]:
    done: list[str] = []
    names = bundle.names()
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise BundleError(f"missing file(s): {', '.join(missing)}")
    check_bundled_keys(bundle, verifier_key)
    try:
        checkpoint = open_checkpoint(
            bundle.read("checkpoint").decode(errors="replace"), verifier_key
        )
    except NoteError as exc:
        raise BundleError(f"checkpoint: {exc}") from None
    done.append(f"checkpoint of size {checkpoint.size} signed by {verifier_key.split('+')[0]}")
    meta = _json(bundle, "bundle.json")
    try:
        selection = check_meta(meta, checkpoint.size, checkpoint.origin)
    except MetaError as exc:
        raise BundleError(f"bundle.json: {exc}") from None
    indexes: list[int] = meta["indexes"]
    size, root = checkpoint.size, checkpoint.root
    whole = len(indexes) == size and (not indexes or indexes[-1] == size - 1)  # rising: 0..size-1
    consistency = _json(bundle, "proofs/consistency.json")
    if (
        not isinstance(consistency, list)
        or [p.get("from") if isinstance(p, dict) else None for p in consistency]
        != meta["consistency_from"]
    ):
        consistency = None  # reported after the entries, as before
    # The roots of the bundle's first entries at each consistency size, for a whole log.
    prefix_roots: dict[int, bytes] = {}
    wanted = {p["from"] for p in consistency or [] if isinstance(p, dict)} if whole else set()
    with bundle.open("entries.jsonl") as entries, _proof_lines(bundle, whole) as proofs:
        count, full_root = _stream_entries(
            entries, proofs, indexes, selection, size, root, wanted, prefix_roots
        )
    done.append(f"{count} entries are canonical, in log order and as selected")
    if isinstance(selection, SubjectSelection) and not whole:
        done.append(_subjects_line(selection))
    if whole:
        if full_root != root:
            raise BundleError(
                "entries.jsonl: the root computed from all entries differs from "
                "the checkpoint's (an entry was altered, added or removed)"
            )
        done.append(f"root of all {size} entries matches the checkpoint")
    else:
        done.append(f"{count} inclusion proofs lead to the checkpoint's root")
    if consistency is None:
        raise BundleError("proofs/consistency.json: not the proofs bundle.json lists")
    for number, proof in enumerate(consistency):
        _check_consistency(number, proof, size, root, prefix_roots if whole else None)
        done.append(f"consistency from size {proof['from']} to {size}")
    return done


def check_bundled_keys(bundle: Bundle, verifier_key: str) -> None:
    try:
        _name, pinned = parse_verifier_key(verifier_key)
    except NoteError as exc:
        raise BundleError(f"the key to verify with: {exc}") from None
    if bundled_key(bundle) != verifier_key:
        raise BundleError("public-key.txt: not the key you pinned (signed by another key?)")
    if "public-key.pem" in bundle.names():
        try:
            pem = load_pem_public_key(bundle.read("public-key.pem"))
            same = raw_public(pem) == raw_public(pinned)  # type: ignore[arg-type]
        except Exception:  # any malformed PEM
            same = False
        if not same:
            raise BundleError("public-key.pem: not the same key as public-key.txt")


def _json(bundle: Bundle, name: str) -> Any:
    try:
        return json.loads(bundle.read(name))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BundleError(f"{name}: not valid JSON ({type(exc).__name__})") from None


def _subjects_line(selection: SubjectSelection) -> str:
    others = len(selection.subjects) - 1
    related = f" and {others} related subject(s)" if others else ""
    return (
        f"every entry is about {selection.subject!r}{related}; that none of theirs was left "
        "out is not shown (only a range export shows completeness)"
    )


def each_line(stream: IO[bytes], name: str) -> Iterator[bytes]:
    for line in stream:
        if not line.endswith(b"\n"):
            raise BundleError(f"{name}: the last line is cut off (truncated file)")
        yield line[:-1]


@contextmanager
def _proof_lines(bundle: Bundle, whole: bool) -> Iterator[Iterator[bytes] | None]:
    """proofs/inclusion.jsonl line by line, when the bundle is not the whole log."""
    if whole:
        yield None
        return
    if "proofs/inclusion.jsonl" not in bundle.names():
        yield iter(())
        return
    with bundle.open("proofs/inclusion.jsonl") as stream:
        yield each_line(stream, "proofs/inclusion.jsonl")


def _stream_entries(
    stream: IO[bytes],
    proofs: Iterator[bytes] | None,
    indexes: list[int],
    selection: Selection,
    size: int,
    root: bytes,
    wanted: set[int],
    prefix_roots: dict[int, bytes],
) -> tuple[int, bytes]:
    """Check each entry (and its inclusion proof, or the whole log's root) as it is read:
    (entries read, root of them all when they are the whole log)."""
    stack: list[tuple[int, bytes]] = []
    count = 0
    subjects = set(selection.subjects) if isinstance(selection, SubjectSelection) else None
    if 0 in wanted:
        prefix_roots[0] = EMPTY_ROOT
    for number, line in enumerate(each_line(stream, "entries.jsonl"), start=1):
        if number > len(indexes):
            raise BundleError(
                f"entries.jsonl: more than {len(indexes)} lines, but bundle.json lists "
                f"{len(indexes)} entries (truncated or padded)"
            )
        index = indexes[number - 1]
        entry, leaf = canonical_entry(line, number, index)
        about = entry.get("subject")
        if subjects is not None and not (isinstance(about, str) and about in subjects):
            raise BundleError(
                f"entries.jsonl line {number}: about {about!r}, not a selected subject"
            )
        if proofs is None:
            _push(stack, leaf)
            if number in wanted:
                prefix_roots[number] = range_hash([h for _, h in stack])
        else:
            check_inclusion(next(proofs, None), number, index, leaf, size, root, len(indexes))
        count = number
    if count != len(indexes):
        raise BundleError(
            f"entries.jsonl: {count} lines, but bundle.json lists "
            f"{len(indexes)} entries (truncated or padded)"
        )
    if proofs is not None and next(proofs, None) is not None:
        raise BundleError(f"proofs/inclusion.jsonl: more proofs than the {count} entries")
    return count, range_hash([h for _, h in stack]) if stack else EMPTY_ROOT


def _push(stack: list[tuple[int, bytes]], leaf: bytes) -> None:
    level, value = 0, leaf
    while stack and stack[-1][0] == level:
        value, level = node_hash(stack.pop()[1], value), level + 1
    stack.append((level, value))


def canonical_entry(line: bytes, number: int, index: int) -> tuple[dict[str, Any], bytes]:
    try:
        parsed = json.loads(line)
        canonical = rfc8785.dumps(parsed)
    except (
        ValueError,
        UnicodeDecodeError,
        RecursionError,
        rfc8785.CanonicalizationError,
    ) as exc:
        raise BundleError(f"entries.jsonl line {number}: not JSON ({type(exc).__name__})") from None
    if canonical != line:
        raise BundleError(
            f"entries.jsonl line {number}: not RFC 8785 canonical JSON (altered bytes)"
        )
    if not isinstance(parsed, dict) or parsed.get("index") != index:
        raise BundleError(
            f"entries.jsonl line {number}: is not entry {index} (reordered or replaced)"
        )
    return parsed, leaf_hash(line)


def _hashes(items: Any, where: str) -> list[bytes]:
    try:
        return [strict_b64decode(h) for h in items]
    except (TypeError, ValueError):
        raise BundleError(f"{where}: a hash is not canonical base64") from None


def check_inclusion(
    line: bytes | None, number: int, index: int, leaf: bytes, size: int, root: bytes, total: int
) -> None:
    where = f"proofs/inclusion.jsonl line {number}"
    if line is None:
        raise BundleError(f"proofs/inclusion.jsonl: {number - 1} proofs for {total} entries")
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
    number: int, proof: Any, size: int, root: bytes, prefix_roots: dict[int, bytes] | None
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
    if prefix_roots is not None and prefix_roots.get(old) != old_root:
        raise BundleError(
            f"{where}: the root given for size {old} is not the root of the bundle's first entries"
        )
