"""The versions of a bundle's `bundle.json` and the selections they state.

Version 1 selected a range (`{"from", "to"}`) or one subject (`{"subject"}`). Version 2
selects a range the same way, or a subject with every subject it stands for
(`{"subject": "work:3", "subjects": ["work:3", "call:12", ...]}`: a work with the calls
whose input matched it). Version 1 bundles still verify; they read as a selection of
the one subject. Nothing here touches a database: the offline verifier reads it.

An evidence bundle (one call's record, report, decisions, manifests and entries) has no
bundle.json: its listing, names and what each file is are at the end of this module.
"""

import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

FORMAT_V1 = "govern-audit-bundle/1"
FORMAT = "govern-audit-bundle/2"
READABLE = (FORMAT_V1, FORMAT)


class MetaError(ValueError):
    """What bundle.json states wrongly, in words."""


@dataclass(frozen=True)
class RangeSelection:
    """Every entry from `start` to `end`, exclusive."""

    start: int
    end: int

    def as_json(self) -> dict[str, Any]:
        return {"from": self.start, "to": self.end}

    def check_indexes(self, indexes: list[int]) -> None:
        """The indexes (rising, already checked) are exactly the range: checked by their
        count and ends, so a huge claimed range costs nothing."""
        ends = (indexes[0], indexes[-1] + 1) if indexes else (self.start, self.start)
        if len(indexes) != self.end - self.start or ends != (self.start, self.end):
            raise MetaError("the entries are not the range it names")


@dataclass(frozen=True)
class SubjectSelection:
    """The entries about any of `subjects` (which begin with `subject`, the one asked
    for): the entries of a work and of its calls, say."""

    subject: str
    subjects: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "subjects": list(self.subjects)}


Selection = RangeSelection | SubjectSelection


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_selection(version: str, raw: Any) -> Selection:
    """The selection bundle.json states, read as its format version wrote it."""
    if not isinstance(raw, dict):
        raise MetaError("no selection")
    if set(raw) == {"from", "to"}:
        if not (_is_int(raw["from"]) and _is_int(raw["to"]) and 0 <= raw["from"] <= raw["to"]):
            raise MetaError("a range needs whole numbers 0 <= from <= to")
        return RangeSelection(raw["from"], raw["to"])
    asked = raw.get("subject")
    if version == FORMAT_V1 and set(raw) == {"subject"} and isinstance(asked, str):
        return SubjectSelection(asked, (asked,))
    if version == FORMAT and set(raw) == {"subject", "subjects"} and isinstance(asked, str):
        subjects = raw["subjects"]
        if (
            not isinstance(subjects, list)
            or not subjects
            or subjects[0] != asked
            or not all(isinstance(s, str) for s in subjects)
        ):
            raise MetaError("subjects must list strings, the subject asked for first")
        if len(set(subjects)) != len(subjects):
            raise MetaError("subjects lists a subject twice")
        return SubjectSelection(asked, tuple(subjects))
    raise MetaError(f"the selection is neither a range nor a subject of {version}")


def _is_index(value: Any, size: int) -> bool:
    return _is_int(value) and 0 <= value < size


def check_meta(meta: Any, tree_size: int, origin: str) -> Selection:
    """bundle.json's claims that need no entry, against the signed checkpoint's size and
    origin; the selection it states."""
    if not isinstance(meta, dict) or meta.get("format") not in READABLE:
        stated = meta.get("format") if isinstance(meta, dict) else None
        raise MetaError(
            f"format {stated!r} is not one this verifier reads ({', '.join(READABLE)}); "
            "a newer govern may read it"
        )
    if meta.get("tree_size") != tree_size or meta.get("origin") != origin:
        raise MetaError("its origin or tree size disagrees with the checkpoint")
    indexes, since = meta.get("indexes"), meta.get("consistency_from")
    if not isinstance(indexes, list) or not all(_is_index(i, tree_size) for i in indexes):
        raise MetaError("indexes must be entries of the tree")
    if any(a >= b for a, b in itertools.pairwise(indexes)):
        raise MetaError("indexes must rise")
    if not isinstance(since, list) or not all(_is_index(s, tree_size + 1) for s in since):
        raise MetaError("consistency_from must list tree sizes")
    selection = parse_selection(meta["format"], meta.get("selection"))
    if isinstance(selection, RangeSelection):
        selection.check_indexes(indexes)
    return selection


# An evidence bundle: every file of one call's evidence (govern calls evidence, GET
# /v1/calls/{id}/evidence), listed in `evidence.json` with its SHA-256, the listing signed
# by the log's key in `evidence.sig`. verify_evidence.py checks it; governance/calls/
# evidence.py writes it.
EVIDENCE_FORMAT = "govern-evidence-bundle/1"
EVIDENCE_LISTING = "evidence.json"
EVIDENCE_SIGNATURE = "evidence.sig"
# What the log's key signs: this prefix, then the listing's SHA-256 (32 bytes). A NUL and
# a raw digest: never the text of a checkpoint's body, which that key also signs.
EVIDENCE_CONTEXT = b"govern-evidence-bundle/1\x00"
REPORT_JSON = "report/report.json"
REPORT_FILES = "report/files/"
REVIEWS = "reviews/entry-"
MANIFESTS = "manifests/entry-"
INCLUSION = "proofs/inclusion.jsonl"

_FIXED = {
    "README.md": "how this bundle is laid out and how to check it by hand",
    "call.json": "the call's record as GET /v1/calls/{id} shows it to an auditor: status, "
    "reasons and every stage's evidence",
    "checkpoint": "the log's signed checkpoint (C2SP signed note) that every proof leads to",
    "entries.jsonl": "the audit entries about the call, one per line, exactly as signed",
    INCLUSION: "each entry's inclusion proof (RFC 9162) against the checkpoint",
    "public-key.txt": "the log's verifier key (C2SP signed-note form)",
    "public-key.pem": "the log's public key (PEM), the same key",
    REPORT_JSON: "the restoration report: exactly the JSON bytes GET /v1/calls/{id}/report serves",
}


def evidence_message(listing: bytes) -> bytes:
    """The bytes the log's key signs for an evidence bundle's listing."""
    return EVIDENCE_CONTEXT + hashlib.sha256(listing).digest()


def describe(name: str) -> str | None:
    """What a file of an evidence bundle is, from its name; None for a name the format
    does not have."""
    if name in _FIXED:
        return _FIXED[name]
    if name.startswith(REPORT_FILES) and len(name) > len(REPORT_FILES):
        return f"a file of the report ({name[len(REPORT_FILES) :]}), as its JSON names it"
    index = entry_of(name)
    if index is not None and name.startswith(REVIEWS):
        return f"a conservator's decision (its call_reviews row), recorded by entry {index}"
    if index is not None and name.startswith(MANIFESTS):
        return f"a C2PA manifest store of the output as signed, recorded by entry {index}"
    return None


def entry_of(name: str) -> int | None:
    """The entry index a decision's or a manifest's file name carries."""
    for prefix, suffix in ((REVIEWS, ".json"), (MANIFESTS, ".c2pa")):
        if name.startswith(prefix) and name.endswith(suffix):
            digits = name[len(prefix) : -len(suffix)]
            if digits.isascii() and digits.isdigit() and (digits == "0" or digits[0] != "0"):
                return int(digits)
    return None
