"""Reconcile the live rows the API serves with the audit entries that record them.

The log's own check proves the entries unaltered; this proves the rows still say what
the entries say. Entries are read in index order, a batch at a time, and only the rows
a batch concerns are queried, so memory stays bounded however long the log grows.
Rows that no entry records are found afterwards by anti-joins (reconcile_rows.py).

Unreadable entries are left to the log's check, which names them.
"""

from collections import defaultdict
from collections.abc import Callable

from sqlmodel import Session, col, select

from governance.audit import reconcile_calls, reconcile_registry
from governance.audit.entries import (
    CallRecorded,
    ClearanceRecorded,
    KeyCreated,
    KeyRevoked,
    ModelRegistered,
    ModelRetired,
    OutputLabelled,
    TermsChanged,
    TwinReleased,
    UnreadableEntry,
    WorkRegistered,
    parse_entry,
)
from governance.audit.models import AuditEntry
from governance.audit.reconcile_fields import Entries, Problems
from governance.audit.reconcile_rows import unrecorded_rows

MAX_PROBLEMS = 50  # as check.py: the first ones say what happened
BATCH = 500


def reconcile(session: Session, limit: int = MAX_PROBLEMS) -> list[str]:
    """Each difference between a live row and the entry that records it, and each row
    that no entry records: an empty list means the rows say what the log says."""
    problems = Problems(limit)
    query = (
        select(AuditEntry.entry).order_by(col(AuditEntry.idx)).execution_options(yield_per=BATCH)
    )
    for batch in session.exec(query).partitions():
        by_kind: dict[str, Entries] = defaultdict(list)
        for raw in batch:
            try:
                entry = parse_entry(raw)
            except UnreadableEntry:
                continue
            by_kind[entry.kind].append(entry)
        for kind, entries in by_kind.items():
            _CHECKS[kind](session, entries, problems)
        if problems.full:
            return problems.found
    unrecorded_rows(session, problems)
    return problems.found


_CHECKS: dict[str, Callable[[Session, Entries, Problems], None]] = {
    WorkRegistered.entry_kind: reconcile_registry.works,
    TermsChanged.entry_kind: reconcile_registry.terms,
    ModelRegistered.entry_kind: reconcile_registry.models,
    ClearanceRecorded.entry_kind: reconcile_calls.clearances,
    TwinReleased.entry_kind: reconcile_calls.twins,
    ModelRetired.entry_kind: reconcile_calls.retirements,
    CallRecorded.entry_kind: reconcile_calls.calls,
    OutputLabelled.entry_kind: reconcile_calls.labels,
    KeyCreated.entry_kind: reconcile_registry.keys,
    KeyRevoked.entry_kind: reconcile_registry.keys,
}
