"""What reconciling shares: the problems found so far, and the one routine that finds
the row an entry records and names each field where the two differ."""

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

import rfc8785
from sqlmodel import Session, col, select

from governance.audit.entries import EntryData, StoredEntry

Entries = list[StoredEntry[EntryData]]
D = TypeVar("D", bound=EntryData)
K = TypeVar("K")
R = TypeVar("R")
Field = tuple[str, Any, Any]  # (field, what the log says, what the row says)


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


@dataclass(frozen=True)
class RowCheck(Generic[D, K, R]):
    """How entries of one kind meet one kind of row.

    `key` says which row of `table` an entry records, `load` reads the rows of a
    batch's keys. Either the entry names its row (`absent` says what it names, for the
    problem when no row has that key), or the row names its entry by audit index
    (`absent` is None: no row, or more than one, is then the problem). `label` names
    the row after "<table> row "; `fields` pairs what the entry and the row say."""

    table: str
    key: Callable[[StoredEntry[Any], D], K]
    load: Callable[[Session, list[K]], Mapping[K, list[R]]]
    absent: Callable[[K], str] | None
    label: Callable[[R, K], str]
    fields: Callable[[StoredEntry[Any], D, R], Iterable[Field]]


def check_rows(
    session: Session,
    problems: Problems,
    entries: Entries,
    model: type[D],
    *checks: RowCheck[D, Any, Any],
) -> None:
    """For each entry of `model`, each check in turn: find its row, or name why there is
    none (and skip the checks after it), then name each field that differs."""
    recorded = data_of(entries, model)
    if not recorded:
        return
    loaded = [(c, c.load(session, [c.key(e, d) for e, d in recorded])) for c in checks]
    for entry, data in recorded:
        for check, rows in loaded:
            key = check.key(entry, data)
            found = rows.get(key, [])
            if check.absent is not None:
                if not found:
                    missing(problems, entry, check.absent(key))
                    break
                row = found[0]
            else:
                claimed = claimed_once(problems, entry, found, check.table)
                if claimed is None:
                    break
                row = claimed
            name = f"{check.table} row {check.label(row, key)}"
            compare(problems, entry, name, check.fields(entry, data, row))


def kind_check(
    model: type[D], *checks: RowCheck[D, Any, Any]
) -> Callable[[Session, Entries, Problems], None]:
    """The reconciliation of one kind of entry: `checks` on each entry of `model`."""

    def run(session: Session, entries: Entries, problems: Problems) -> None:
        check_rows(session, problems, entries, model, *checks)

    return run


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


def by_audit_index(table: type[A]) -> Callable[[Session, list[int]], dict[int, list[A]]]:
    """A loader of the rows of `table` that name each index as their audit entry (more
    than one is a problem)."""

    def load(session: Session, indexes: list[int]) -> dict[int, list[A]]:
        found: dict[int, list[A]] = defaultdict(list)
        for row in session.exec(select(table).where(col(table.audit_index).in_(indexes))):
            found[row.audit_index].append(row)
        return found

    return load


def audit_index(entry: StoredEntry[Any], _: EntryData) -> int:
    """The key of rows that name their entry: the entry's index."""
    return entry.index
