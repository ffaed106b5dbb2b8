"""Reconciling restoration reports (report.ready) and conservators' decisions
(review.decided) with their rows, both ways.

A report row names its entry by audit index: the entry's SHA-256 of the JSON served, its
files and the call must be the row's, and the row must say it is ready. A decision row
names its entry the same way, and the call's status must be the status the newest
decision left it in (a release or rejection changed behind the log's back would serve,
or withhold, an output no one decided on). Rows that name no entry of their kind about
their call are found by `unrecorded_reports`.
"""

from typing import Any, cast

from sqlalchemy import String, func, type_coerce
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from governance.audit.entries import StoredEntry
from governance.audit.entries_reports import ReportReady, ReviewDecided
from governance.audit.models import AuditEntry
from governance.audit.reconcile_fields import (
    Entries,
    Field,
    Problems,
    RowCheck,
    audit_index,
    by_audit_index,
    compare,
    data_of,
    kind_check,
)
from governance.audit.reconcile_rows import recorded_by, subject_of
from governance.calls.models import ModelCall
from governance.reports.models import CallReport, ReportState
from governance.reviews.models import CallReview


def _report_fields(entry: StoredEntry[Any], data: ReportReady, row: CallReport) -> list[Field]:
    files = {
        f.name: {"sha256": f.sha256, "media_type": f.media_type, "size": f.size} for f in data.files
    }
    return [
        ("call_id", data.call_id, row.call_id),
        ("state", ReportState.READY.value, row.state),
        ("report_sha256", data.report_sha256, row.report_sha256),
        ("files", files, row.files),
    ]


reports = kind_check(
    ReportReady,
    RowCheck[ReportReady, int, CallReport](
        table="call_reports",
        key=audit_index,
        load=by_audit_index(CallReport),
        absent=None,
        label=lambda row, _: str(row.id),
        fields=_report_fields,
    ),
)

_decisions = kind_check(
    ReviewDecided,
    RowCheck[ReviewDecided, int, CallReview](
        table="call_reviews",
        key=audit_index,
        load=by_audit_index(CallReview),
        absent=None,
        label=lambda row, _: str(row.id),
        fields=lambda entry, data, row: [
            ("call_id", data.call_id, row.call_id),
            ("reviewer", data.reviewer, row.reviewer),
            ("reviewer_key_id", data.reviewer_key_id, row.reviewer_key_id),
            ("decision", data.decision, row.decision),
            ("comment", data.comment, row.comment),
            ("regions", [r.model_dump() for r in data.regions], row.regions),
            ("report_sha256", data.report_sha256, row.report_sha256),
        ],
    ),
)


def decisions(session: Session, entries: Entries, problems: Problems) -> None:
    """Each decision against its row, then each call's status against its newest one."""
    _decisions(session, entries, problems)
    recorded = data_of(entries, ReviewDecided)
    if not recorded:
        return
    calls = sorted({data.call_id for _, data in recorded})
    query = (
        select(AuditEntry.subject, func.max(AuditEntry.idx))
        .where(
            AuditEntry.kind == ReviewDecided.entry_kind,
            col(AuditEntry.subject).in_([f"call:{c}" for c in calls]),
        )
        .group_by(AuditEntry.subject)
    )
    newest = {subject: index for subject, index in session.exec(query)}
    statuses = stored_statuses(session, calls)
    for entry, data in recorded:
        if newest.get(entry.subject) != entry.index or data.call_id not in statuses:
            continue  # a later decision says where the call stands; or the call is gone
        compare(
            problems,
            entry,
            f"model_calls row {data.call_id}",
            [("status (after the newest decision)", data.status, statuses[data.call_id])],
        )


def stored_statuses(session: Session, call_ids: list[int]) -> dict[int, str]:
    """The calls' statuses as stored, as text: a value that is no status is named, not
    raised on loading."""
    table = cast(Any, ModelCall).__table__
    query = core_select(table.c.id, type_coerce(table.c.status, String)).where(
        table.c.id.in_(call_ids)
    )
    return {int(i): str(status) for i, status in session.execute(query)}


def unrecorded_reports(session: Session, problems: Problems) -> None:
    """A ready report row, or any decision row, that names no entry of its kind about its
    call: inserted or marked ready behind the log's back."""
    for table, name, kind, only in (
        (CallReport, "call_reports", ReportReady.entry_kind, col(CallReport.state) == "ready"),
        (CallReview, "call_reviews", ReviewDecided.entry_kind, None),
    ):
        row_id, index, call = col(table.id), col(table.audit_index), col(table.call_id)
        claims = select(row_id, index).where(~recorded_by(kind, subject_of("call", call), index))
        if only is not None:
            claims = claims.where(only)
        query = claims.order_by(row_id).limit(problems.room)
        for found, audit in session.exec(query):
            problems.add(
                f"{name} row {found} is recorded by no {kind} entry (it names entry {audit})"
            )
