"""The README.md of an evidence bundle: how to check it by hand, and every file."""

from typing import Any

GUIDE = """# Evidence of call {call_id}

This zip holds everything the service keeps about call {call_id}: its record, its
restoration report and the report's files, the conservators' decisions, the C2PA
manifests of its output, and the audit entries about it (`call:{call_id}`) with their
inclusion proofs against one signed checkpoint. Nothing from the service is needed to
check it:

    govern audit verify <this zip> --key <the log's verifier key, from GET /v1/audit/key>

By hand:

1. `evidence.sig` is base64 of an Ed25519 signature, by the log's key, over the bytes
   `govern-evidence-bundle/1`, one NUL byte, then the SHA-256 of `evidence.json`.
   Check it with a key you obtained independently, not with `public-key.txt`.
2. `evidence.json` (RFC 8785 JSON) lists every other file with its SHA-256, size, what
   it is and the audit entry that records it. Hash each file and compare; no file may
   be missing or unlisted.
3. `checkpoint` is a C2SP signed note by the same key (origin, tree size, root). Each
   line of `entries.jsonl` is one entry's signed bytes (leaf hash SHA-256(0x00 ||
   line)); the same line of `proofs/inclusion.jsonl` is its RFC 9162 inclusion proof
   against the checkpoint's root.
4. Each file against its entry: `call.json` against `call.recorded` (its fields, and
   the SHA-256 of its RFC 8785 `stages` as `stages_sha256`; its status is that of the
   newest `review.decided`, if any); `report/report.json` and `report/files/*` against
   `report.ready` (`report_sha256`, and each file's `sha256` and `size`); each
   `reviews/entry-N.json` against `review.decided` entry N; each
   `manifests/entry-N.c2pa` against entry N's `manifest_store_sha256` (`output.labelled`,
   or `released` of a `review.decided`).

The entries are those about the call up to the checkpoint; that none was left out is
not provable from them (the tree hashes whole entries): a range export of the log is.
Facts no entry states (the record's `created_at`, a decision's `decided_at` and row id)
are vouched for by the signature of step 1 only.

## Files

| file | SHA-256 | bytes | recorded by entry | what it is |
|---|---|---|---|---|
"""


def readme(call_id: int, listed: list[dict[str, Any]]) -> bytes:
    """The guide, then a row per listed file (the README and listing are not listed)."""
    rows = [
        f"| `{f['name']}` | `{f['sha256']}` | {f['size']} | "
        f"{'-' if f['entry'] is None else f['entry']} | {f['what']} |\n"
        for f in sorted(listed, key=lambda f: str(f["name"]))
    ]
    return (GUIDE.format(call_id=call_id) + "".join(rows)).encode()
