"""Reconcile the live rows the API serves with the audit entries that record them.

The log's own check proves the entries unaltered; this proves the rows still say what
the entries say. `audit check` hands the entries over as its one read of the log
streams them (check_run.py); `reconcile` alone reads them itself. Entries are taken in
index order, a batch at a time, and only the rows a batch concerns are queried, so
memory stays bounded however long the log grows. Rows that no entry records are found
afterwards by anti-joins (reconcile_rows.py; disputes and calibrations in their own
modules).

Unreadable entries are left to the log's check, which names them.
"""

from collections import defaultdict
from collections.abc import Callable

from sqlmodel import Session

from governance.audit import (
    reconcile_calls,
    reconcile_detectors,
    reconcile_disputes,
    reconcile_registry,
    reconcile_reports,
)
from governance.audit.check import entry_chunks
from governance.audit.entries import (
    ENTRY_KINDS,
    CallRecorded,
    ClearanceRecorded,
    DetectorCalibrated,
    DisputeResolved,
    EntryData,
    KeyCreated,
    KeyRevoked,
    ModelRegistered,
    ModelRetired,
    OutputLabelled,
    StoredEntry,
    TermsChanged,
    TwinReleased,
    UnreadableEntry,
    WorkDisputed,
    WorkRegistered,
    parse_entry,
)
from governance.audit.entries_reports import ReportReady, ReviewDecided
from governance.audit.reconcile_fields import Entries, Problems
from governance.audit.reconcile_rows import unrecorded_rows

MAX_PROBLEMS = 50  # as check.py: the first ones say what happened
BATCH = 500


class Reconciler:
    """Reconciles the entries it is fed, in index order, a batch at a time; `finish`
    then looks for rows that no entry records."""

    def __init__(self, session: Session, limit: int = MAX_PROBLEMS) -> None:
        self._session = session
        self.problems = Problems(limit)
        self._batch: dict[str, Entries] = defaultdict(list)
        self._taken = 0  # entries in the batch, readable or not

    def feed(self, entries: list[bytes], kinds: list[str | None]) -> None:
        """The next entries' bytes, with the kind each states where the caller has read
        it (None where not)."""
        at = 0
        while at < len(entries) and not self.problems.full:
            take = min(BATCH - self._taken, len(entries) - at)
            pairs = zip(entries[at : at + take], kinds[at : at + take], strict=True)
            for raw, kind in pairs:
                # The caller has read the kind: an entry of a kind with no schema (most,
                # in some logs) is skipped without a parse.
                if kind is not None and kind not in ENTRY_KINDS:
                    continue
                entry = _readable(raw)
                if entry is not None:
                    self._batch[entry.kind].append(entry)
            self._taken += take
            at += take
            if self._taken == BATCH:
                self._check_batch()

    def finish(self) -> list[str]:
        """Each difference found, then each row no entry records: an empty list means
        the rows say what the log says."""
        self._check_batch()
        if not self.problems.full:
            unrecorded_rows(self._session, self.problems)
            reconcile_disputes.unrecorded_disputes(self._session, self.problems)
            reconcile_reports.unrecorded_reports(self._session, self.problems)
        return self.problems.found

    def _check_batch(self) -> None:
        for kind, entries in self._batch.items():
            _CHECKS[kind](self._session, entries, self.problems)
        self._batch.clear()
        self._taken = 0


def reconcile(session: Session, limit: int = MAX_PROBLEMS) -> list[str]:
    """Reconcile every entry, read here (`audit check` feeds a Reconciler instead)."""
    reconciler = Reconciler(session, limit)
    for rows in entry_chunks(session):
        reconciler.feed([row[5] for row in rows], [None] * len(rows))
        if reconciler.problems.full:
            break
    return reconciler.finish()


def _readable(raw: bytes) -> StoredEntry[EntryData] | None:
    try:
        return parse_entry(raw)
    except UnreadableEntry:
        return None


_CHECKS: dict[str, Callable[[Session, Entries, Problems], None]] = {
    WorkRegistered.entry_kind: reconcile_registry.works,
    TermsChanged.entry_kind: reconcile_registry.terms,
    ModelRegistered.entry_kind: reconcile_registry.models,
    ClearanceRecorded.entry_kind: reconcile_calls.clearances,
    TwinReleased.entry_kind: reconcile_calls.twins,
    ModelRetired.entry_kind: reconcile_calls.retirements,
    CallRecorded.entry_kind: reconcile_calls.calls,
    OutputLabelled.entry_kind: reconcile_calls.labels,
    KeyCreated.entry_kind: reconcile_registry.keys_created,
    KeyRevoked.entry_kind: reconcile_registry.keys_revoked,
    WorkDisputed.entry_kind: reconcile_disputes.disputes,
    DisputeResolved.entry_kind: reconcile_disputes.resolutions,
    DetectorCalibrated.entry_kind: reconcile_detectors.calibrations,
    ReportReady.entry_kind: reconcile_reports.reports,
    ReviewDecided.entry_kind: reconcile_reports.decisions,
}
