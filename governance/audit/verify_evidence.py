"""`govern audit verify` on an evidence bundle (one call's files): check it offline.

Imports nothing that touches a database or the service. Two things are checked, with the
log's key pinned:

- every byte: `evidence.sig` signs `evidence.json`, which lists every other file with its
  SHA-256; a file changed, added or missing is refused;
- the history: the checkpoint is signed, each entry is canonical, about the call and
  leads to the checkpoint's root by its inclusion proof, and each evidence file agrees
  with the entry that records it (the report and its files with `report.ready`, the
  decisions with `review.decided`, the manifests with the label entries, the record with
  `call.recorded`). A file that only the service vouches for is said to be so.
"""

import hashlib
import json
import zipfile
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature

from governance.audit.bundle_format import (
    EVIDENCE_FORMAT,
    EVIDENCE_LISTING,
    EVIDENCE_SIGNATURE,
    INCLUSION,
    MANIFESTS,
    REPORT_FILES,
    REPORT_JSON,
    REVIEWS,
    describe,
    entry_of,
    evidence_message,
)
from governance.audit.notes import (
    NoteError,
    open_checkpoint,
    parse_verifier_key,
    strict_b64decode,
)
from governance.audit.verify_bundle import (
    Bundle,
    BundleError,
    canonical_entry,
    check_bundled_keys,
    check_inclusion,
    each_line,
)

LOG_FILES = ("checkpoint", "entries.jsonl", INCLUSION, "public-key.txt", "public-key.pem")
Entries = dict[int, dict[str, Any]]


def is_evidence(files: Mapping[str, bytes] | Bundle) -> bool:
    """Whether the files are a call's evidence bundle (else an audit export)."""
    return EVIDENCE_LISTING in _as_bundle(files).names()


def _as_bundle(files: Mapping[str, bytes] | Bundle) -> Bundle:
    return files if isinstance(files, Bundle) else Bundle(files)


def verify_evidence(files: Mapping[str, bytes] | Bundle, verifier_key: str) -> list[str]:
    """The checks that passed, in order, with a line per file saying what it is;
    BundleError at the first that does not."""
    bundle = _as_bundle(files)
    try:
        return _verify(bundle, verifier_key)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        # A zip member damaged past its header shows only when it is read.
        raise BundleError(
            f"a file of the bundle cannot be read, altered or damaged ({exc})"
        ) from None
    except (KeyError, TypeError, AttributeError) as exc:
        # Signed, so the service wrote it so: a listing this verifier cannot read.
        raise BundleError(f"{EVIDENCE_LISTING}: malformed ({type(exc).__name__}: {exc})") from None


def _verify(bundle: Bundle, verifier_key: str) -> list[str]:
    check_bundled_keys(bundle, verifier_key)
    listing = _signed_listing(bundle, verifier_key)
    call_id = listing["call_id"]
    done = [f"{EVIDENCE_LISTING} is signed by the pinned key: evidence of call {call_id}"]
    files = _check_hashes(bundle, listing)
    done.append(f"all {len(files)} listed files have their SHA-256 and size, none unlisted")
    try:
        checkpoint = open_checkpoint(
            bundle.read("checkpoint").decode(errors="replace"), verifier_key
        )
    except NoteError as exc:
        raise BundleError(f"checkpoint: {exc}") from None
    if (checkpoint.origin, checkpoint.size) != (listing["origin"], listing["tree_size"]):
        raise BundleError("checkpoint: not the origin and tree size evidence.json names")
    done.append(f"checkpoint of size {checkpoint.size} signed by {verifier_key.split('+')[0]}")
    entries = _entries(bundle, f"call:{call_id}", checkpoint.size, checkpoint.root)
    done.append(
        f"{len(entries)} entries about call:{call_id} are canonical and lead to the "
        "checkpoint's root by their inclusion proofs (that none was left out is not shown)"
    )
    for name in sorted(files):
        done.append(f"{name}: {_attest(bundle, name, files[name], call_id, entries)}")
    _complete(files, entries)
    done.append("every entry about the call that records a file has its file here")
    return done


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BundleError(f"{name}: not valid JSON ({type(exc).__name__})") from None


def _signed_listing(bundle: Bundle, verifier_key: str) -> dict[str, Any]:
    names = bundle.names()
    for needed in (EVIDENCE_LISTING, EVIDENCE_SIGNATURE):
        if needed not in names:
            raise BundleError(f"missing file: {needed}")
    listing_bytes = bundle.read(EVIDENCE_LISTING)
    _name, key = parse_verifier_key(verifier_key)
    try:
        text = bundle.read(EVIDENCE_SIGNATURE).decode("ascii")
        if not text.endswith("\n"):
            raise ValueError("no final newline")
        key.verify(strict_b64decode(text[:-1]), evidence_message(listing_bytes))
    except (ValueError, InvalidSignature):
        raise BundleError(
            f"{EVIDENCE_SIGNATURE}: not the pinned key's signature of {EVIDENCE_LISTING} "
            "(one of the two was altered, or another key signed it)"
        ) from None
    listing = _json(listing_bytes, EVIDENCE_LISTING)
    if not isinstance(listing, dict) or listing.get("format") != EVIDENCE_FORMAT:
        raise BundleError(f"{EVIDENCE_LISTING}: not format {EVIDENCE_FORMAT}")
    return listing


def _check_hashes(bundle: Bundle, listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    present = bundle.listed()
    if len(present) != len(set(present)):
        raise BundleError("the zip holds a file name twice")
    files = {f["name"]: f for f in listing["files"]}
    unlisted = sorted(set(present) - set(files) - {EVIDENCE_LISTING, EVIDENCE_SIGNATURE})
    if unlisted:
        raise BundleError(f"{', '.join(unlisted)}: not listed in {EVIDENCE_LISTING} (added)")
    for name, listed in sorted(files.items()):
        if name not in present:
            raise BundleError(f"{name}: listed in {EVIDENCE_LISTING} but missing")
        data = bundle.read(name)
        if hashlib.sha256(data).hexdigest() != listed["sha256"] or len(data) != listed["size"]:
            raise BundleError(
                f"{name}: its SHA-256 is not the one {EVIDENCE_LISTING} lists (the file was "
                "altered)"
            )
        if describe(name) is None:
            raise BundleError(f"{name}: not a file of {EVIDENCE_FORMAT}")
    missing = [name for name in (*LOG_FILES, "call.json") if name not in files]
    if missing:
        raise BundleError(f"missing file(s): {', '.join(missing)}")
    return files


def _entries(bundle: Bundle, subject: str, size: int, root: bytes) -> Entries:
    """Each entry by index, checked as it is read with its inclusion proof."""
    found: Entries = {}
    with bundle.open("entries.jsonl") as stream, bundle.open(INCLUSION) as proofs:
        proof_lines = each_line(proofs, INCLUSION)
        for number, line in enumerate(each_line(stream, "entries.jsonl"), start=1):
            index = _json(line, f"entries.jsonl line {number}")
            index = index.get("index") if isinstance(index, dict) else None
            if not isinstance(index, int) or not 0 <= index < size or index in found:
                raise BundleError(f"entries.jsonl line {number}: not an entry of the tree")
            if found and index < max(found):
                raise BundleError(f"entries.jsonl line {number}: out of log order")
            entry, leaf = canonical_entry(line, number, index)
            if entry.get("subject") != subject:
                raise BundleError(f"entries.jsonl line {number}: not about {subject}")
            check_inclusion(next(proof_lines, None), number, index, leaf, size, root, number)
            found[index] = entry
        if next(proof_lines, None) is not None:
            raise BundleError(f"{INCLUSION}: more proofs than entries")
    return found


def _entry(entries: Entries, index: Any, kinds: tuple[str, ...], name: str) -> dict[str, Any]:
    entry = entries.get(index) if isinstance(index, int) else None
    if entry is None or entry.get("kind") not in kinds:
        raise BundleError(f"{name}: recorded by no {' or '.join(kinds)} entry of the bundle")
    data: dict[str, Any] = entry.get("data") or {}
    return data


def _differs(name: str, index: int, pairs: list[tuple[str, Any, Any]]) -> None:
    for field, logged, shown in pairs:
        # As JSON: 1 is not true, nor 1.0; key order does not matter.
        if json.dumps(logged, sort_keys=True) != json.dumps(shown, sort_keys=True):
            raise BundleError(
                f"{name}: its {field} is not what entry {index} records "
                f"(the log says {json.dumps(logged)[:80]})"
            )


def _attest(
    bundle: Bundle, name: str, listed: dict[str, Any], call_id: int, entries: Entries
) -> str:
    """Check one file against the entry that records it; what it is, and by what."""
    what = str(describe(name))
    index = listed.get("entry")
    checks: dict[str, Callable[[], None]] = {
        "call.json": lambda: _call(bundle, index, call_id, entries),
        REPORT_JSON: lambda: _report(listed, index, call_id, entries),
    }
    if name in checks:
        checks[name]()
    elif name.startswith(REPORT_FILES):
        data = _entry(entries, index, ("report.ready",), name)
        files = {f.get("name"): f for f in data.get("files", []) if isinstance(f, dict)}
        shown = files.get(name[len(REPORT_FILES) :])
        if shown is None or (shown.get("sha256"), shown.get("size")) != (
            listed["sha256"],
            listed["size"],
        ):
            raise BundleError(f"{name}: report.ready entry {index} records no such file")
    elif name.startswith(REVIEWS):
        _decision(bundle, name, index, call_id, entries)
    elif name.startswith(MANIFESTS):
        _manifest(name, listed, index, entries)
    else:
        return f"{what} (vouched for by the signed listing; the log does not record it)"
    kind = entries[index]["kind"] if isinstance(index, int) else None  # checked above
    return f"{what}; agrees with entry {index} ({kind})"


def _call(bundle: Bundle, index: Any, call_id: int, entries: Entries) -> None:
    data = _entry(entries, index, ("call.recorded",), "call.json")
    call = _json(bundle.read("call.json"), "call.json")
    if not isinstance(call, dict) or not isinstance(call.get("stages"), list):
        raise BundleError("call.json: not a call's record")
    decided = [e["data"] for i, e in sorted(entries.items()) if e.get("kind") == "review.decided"]
    status = decided[-1].get("status") if decided else data.get("status")
    # A release signs the output again: the call then names the released file.
    released = [d["released"]["output_sha256"] for d in decided if d.get("released")]
    output = released[-1] if released else data.get("output_sha256")
    stages = call["stages"]
    outcomes = [{"name": s.get("name"), "outcome": s.get("outcome")} for s in stages]
    model = call.get("model")
    _differs(
        "call.json",
        index,
        [
            ("id", data.get("call_id"), call.get("id")),
            ("id", call_id, call.get("id")),
            ("audit_index", index, call.get("audit_index")),
            ("kind", data.get("kind"), call.get("kind")),
            ("status (after its decisions)", status, call.get("status")),
            ("model", data.get("model"), model),
            ("request", data.get("request"), call.get("request")),
            ("input_sha256", data.get("input_sha256"), call.get("input_sha256")),
            ("mask_sha256", data.get("mask_sha256"), call.get("mask_sha256")),
            ("output_sha256 (after a release)", output, call.get("output_sha256")),
            ("reasons", data.get("reasons"), call.get("reasons")),
            ("stages", data.get("stages"), outcomes),
            ("stages' SHA-256", data.get("stages_sha256"), _rfc8785_sha256(stages)),
        ],
    )


def _rfc8785_sha256(value: Any) -> str:
    try:
        return hashlib.sha256(rfc8785.dumps(value)).hexdigest()
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return "not canonical JSON"


def _report(listed: dict[str, Any], index: Any, call_id: int, entries: Entries) -> None:
    data = _entry(entries, index, ("report.ready",), REPORT_JSON)
    _differs(
        REPORT_JSON,
        index,
        [
            ("call", data.get("call_id"), call_id),
            ("SHA-256", data.get("report_sha256"), listed["sha256"]),
        ],
    )


def _decision(bundle: Bundle, name: str, index: Any, call_id: int, entries: Entries) -> None:
    if index != entry_of(name):
        raise BundleError(f"{name}: listed as recorded by entry {index}, not its own")
    data = _entry(entries, index, ("review.decided",), name)
    row = _json(bundle.read(name), name)
    if not isinstance(row, dict):
        raise BundleError(f"{name}: not a decision")
    fields = ("reviewer", "reviewer_key_id", "decision", "comment", "regions", "report_sha256")
    _differs(
        name,
        index,
        [
            ("call_id", call_id, row.get("call_id")),
            ("call_id", data.get("call_id"), row.get("call_id")),
            ("audit_index", index, row.get("audit_index")),
            *((field, data.get(field), row.get(field)) for field in fields),
        ],
    )


def _manifest(name: str, listed: dict[str, Any], index: Any, entries: Entries) -> None:
    if index != entry_of(name):
        raise BundleError(f"{name}: listed as recorded by entry {index}, not its own")
    data = _entry(entries, index, ("output.labelled", "review.decided"), name)
    released = data.get("released") if entries[index].get("kind") == "review.decided" else data
    signed = released.get("manifest_store_sha256") if isinstance(released, dict) else None
    _differs(name, index, [("SHA-256", signed, listed["sha256"])])


def _complete(files: dict[str, dict[str, Any]], entries: Entries) -> None:
    """Every entry that records a file has it: none was dropped from the bundle."""
    for index, entry in sorted(entries.items()):
        kind, data = entry.get("kind"), entry.get("data") or {}
        wanted: list[str] = []
        if kind == "call.recorded":
            wanted = ["call.json"]
        elif kind == "report.ready":
            names = [f.get("name") for f in data.get("files", []) if isinstance(f, dict)]
            wanted = [REPORT_JSON, *(f"{REPORT_FILES}{n}" for n in names)]
        elif kind == "review.decided":
            wanted = [f"{REVIEWS}{index}.json"]
        elif kind == "output.labelled":
            wanted = [f"{MANIFESTS}{index}.c2pa"]
        for name in wanted:
            if name not in files or files[name].get("entry") != index:
                raise BundleError(f"entry {index} ({kind}) records {name}, which is missing")
