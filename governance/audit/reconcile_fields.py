"""What reconciling shares: the problems found so far, and comparing a row's fields
with what an entry says about them."""

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

import rfc8785
from sqlmodel import Session, col, select

from governance.audit.entries import EntryData, StoredEntry

Entries = list[StoredEntry[EntryData]]
D = TypeVar("D", bound=EntryData)
R = TypeVar("R")


@dataclass
class Problems:
    """Problems found so far, up to `limit`: past that, more would only bury the first."""

    limit: int
    found: list[str] = dataclasses.field(default_factory=list)

    @property
    def full(self) -> bool:
        return len(self.found) >= self.limit

    @property
    def room(self) -> int:
        return max(self.limit - len(self.found), 0)

    def add(self, problem: str) -> None:
        if not self.full:
            self.found.append(problem)


def data_of(entries: Entries, model: type[D]) -> list[tuple[StoredEntry[Any], D]]:
    return [(e, e.data) for e in entries if isinstance(e.data, model)]


def subject_id(entry: StoredEntry[Any]) -> int:
    return int(entry.subject.partition(":")[2])


def compare(
    problems: Problems,
    entry: StoredEntry[Any],
    row_name: str,
    pairs: Iterable[tuple[str, Any, Any]],
) -> None:
    """Name each field whose row value differs from the entry's: (field, logged, stored)."""
    for field, logged, stored in pairs:
        if not same(logged, stored):
            problems.add(
                f"entry {entry.index} ({entry.subject}): {row_name} {field}: "
                f"the log says {show(logged)}, the row says {show(stored)}"
            )


def same(logged: Any, stored: Any) -> bool:
    if isinstance(logged, datetime) and isinstance(stored, datetime):
        return logged == stored
    try:
        # Canonical JSON: key order does not matter, but 1 is not true nor "1".
        return bool(rfc8785.dumps(logged) == rfc8785.dumps(stored))
    except (rfc8785.CanonicalizationError, TypeError, ValueError):
        return bool(logged == stored)


def show(value: Any) -> str:
    text = value.isoformat() if isinstance(value, datetime) else json.dumps(value, default=str)
    return text if len(text) <= 100 else text[:97] + "..."


def sha256_of(value: Any) -> str:
    return hashlib.sha256(rfc8785.dumps(value)).hexdigest()


def missing(problems: Problems, entry: StoredEntry[Any], what: str) -> None:
    problems.add(f"entry {entry.index} ({entry.subject}) records {what}, which has no row")


def claimed_once(problems: Problems, entry: StoredEntry[Any], rows: list[R], what: str) -> R | None:
    """The one row that names `entry` as its audit entry, else the problem named."""
    if not rows:
        problems.add(f"entry {entry.index} ({entry.subject}): no {what} row names it as its entry")
        return None
    if len(rows) > 1:
        problems.add(f"entry {entry.index} ({entry.subject}): {len(rows)} {what} rows claim it")
    return rows[0]


class _Audited(Protocol):
    audit_index: Any


A = TypeVar("A", bound=_Audited)


def by_audit_index(
    session: Session, table: type[A], entries: Sequence[StoredEntry[Any]]
) -> dict[int, list[A]]:
    """The rows of `table` that name each entry as theirs (more than one is a problem)."""
    indexes = [e.index for e in entries]
    found: dict[int, list[A]] = defaultdict(list)
    for row in session.exec(select(table).where(col(table.audit_index).in_(indexes))):
        found[row.audit_index].append(row)
    return found
