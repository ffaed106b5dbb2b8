"""The versions of a bundle's `bundle.json` and the selections they state.

Version 1 selected a range (`{"from", "to"}`) or one subject (`{"subject"}`). Version 2
selects a range the same way, or a subject with every subject it stands for
(`{"subject": "work:3", "subjects": ["work:3", "call:12", ...]}`: a work with the calls
whose input matched it). Version 1 bundles still verify; they read as a selection of
the one subject. Nothing here touches a database: the offline verifier reads it.
"""

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
