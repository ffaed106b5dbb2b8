"""Reconciling disputes: a work registered as a near copy of other holders' works
(work.disputed) and an admin's resolution of it (work.dispute_resolved).

The work's row holds its status and its resolution; work_disputes holds the earlier works
it was found to copy, only ever added. A work is resolved once (the service refuses a
work that is not disputed), so its row holds its one resolution. A log with two for one
work means its row was set back to disputed behind the service's back in between: the
newest resolution is what the row holds and is reconciled with it, each earlier one is
named as overridden.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from governance.audit.entries import DisputeResolved, StoredEntry, WorkDisputed
from governance.audit.models import AuditEntry
from governance.audit.reconcile_fields import (
    Entries,
    Field,
    Problems,
    RowCheck,
    check_rows,
    data_of,
    kind_check,
)
from governance.audit.reconcile_rows import recorded_by, subject_of
from rights.disputes import WorkStatus
from rights.models import Work, WorkDispute

# The service stamps a resolution just before it appends the entry, in one transaction;
# a stamp outside this window before the entry's own time was written by someone else.
RESOLVED_BEFORE_ENTRY = timedelta(minutes=5)

_Match = dict[str, Any]  # a work_disputes row in the shape the entry records a match


def _subject(work_id: int) -> str:
    return f"work:{work_id}"


def _resolutions(session: Session, subjects: list[str]) -> dict[str, int]:
    """The newest work.dispute_resolved entry's index for each of these subjects."""
    newest = func.max(col(AuditEntry.idx))
    query = (
        select(col(AuditEntry.subject), newest)
        .where(
            col(AuditEntry.kind) == DisputeResolved.entry_kind,
            col(AuditEntry.subject).in_(subjects),
        )
        .group_by(col(AuditEntry.subject))
    )
    return {subject: int(index) for subject, index in session.exec(query)}


def _matches(session: Session, ids: list[int]) -> dict[int, list[_Match]]:
    """Each work's work_disputes rows in the order they were added, with the holder of the
    earlier work (None where that work is gone)."""
    query = (
        select(WorkDispute, col(Work.holder_id))
        .outerjoin(Work, col(Work.id) == col(WorkDispute.other_work_id))
        .where(col(WorkDispute.work_id).in_(ids))
        .order_by(col(WorkDispute.id))
    )
    found: dict[int, list[_Match]] = defaultdict(list)
    for dispute, holder_id in session.exec(query):
        found[dispute.work_id].append(
            {
                "work_id": dispute.other_work_id,
                "holder_id": holder_id,
                "method": dispute.method,
                "score": dispute.score,
                "inliers": dispute.inliers,
            }
        )
    return found


def _works(session: Session, ids: list[int]) -> dict[int, Work]:
    works = session.exec(select(Work).where(col(Work.id).in_(ids)))
    return {w.id: w for w in works if w.id is not None}


_DisputedWork = tuple[Work, list[_Match], bool]  # the work, its claims, resolved in the log


def _disputed_works(session: Session, ids: list[int]) -> dict[int, list[_DisputedWork]]:
    works = _works(session, ids)
    matches = _matches(session, ids)
    resolved = _resolutions(session, [_subject(i) for i in ids])
    return {
        work_id: [(work, matches.get(work_id, []), _subject(work_id) in resolved)]
        for work_id, work in works.items()
    }


def _disputed_fields(_: StoredEntry[Any], data: WorkDisputed, found: _DisputedWork) -> list[Field]:
    work, matches, resolved = found
    fields: list[Field] = [
        ("holder_id", data.holder_id, work.holder_id),
        ("disputed works", [m.model_dump() for m in data.matches], matches),
    ]
    if not resolved:
        # Once resolved, the status and resolution are the resolution entry's to check.
        fields += [
            ("status", WorkStatus.DISPUTED.value, work.status),
            ("dispute", None, work.dispute),
        ]
    return fields


disputes = kind_check(
    WorkDisputed,
    RowCheck[WorkDisputed, int, _DisputedWork](
        table="works",
        key=lambda _, data: data.work_id,
        load=_disputed_works,
        absent=lambda work_id: f"work {work_id}",
        label=lambda found, _: str(found[0].id),
        fields=_disputed_fields,
    ),
)

_ResolvedWork = tuple[Work, list[int]]  # the work and the earlier works it is disputed over


def _resolved_works(session: Session, ids: list[int]) -> dict[int, list[_ResolvedWork]]:
    works = _works(session, ids)
    matches = _matches(session, ids)
    return {
        work_id: [(work, [m["work_id"] for m in matches.get(work_id, [])])]
        for work_id, work in works.items()
    }


def _resolved_at(entry: StoredEntry[Any], stored: Any) -> Any:
    """The stored stamp where it cannot be the service's, else the entry's time (so that
    the two compare equal)."""
    try:
        at = datetime.fromisoformat(stored) if isinstance(stored, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        return stored
    return entry.at if entry.at - RESOLVED_BEFORE_ENTRY <= at <= entry.at else stored


def _resolution_fields(
    entry: StoredEntry[Any], data: DisputeResolved, found: _ResolvedWork
) -> list[Field]:
    work, other_works = found
    stored = work.dispute if isinstance(work.dispute, dict) else {}
    return [
        ("status", data.resolution, work.status),
        ("dispute resolution", data.resolution, stored.get("resolution")),
        ("dispute comment", data.comment, stored.get("comment")),
        ("dispute resolved_by", entry.actor, stored.get("resolved_by")),
        (
            "dispute resolved_at (at most 5 minutes before its entry)",
            entry.at,
            _resolved_at(entry, stored.get("resolved_at")),
        ),
        ("other_works", data.other_works, other_works),
    ]


_RESOLVED_ROW = RowCheck[DisputeResolved, int, _ResolvedWork](
    table="works",
    key=lambda _, data: data.work_id,
    load=_resolved_works,
    absent=lambda work_id: f"work {work_id}",
    label=lambda found, _: str(found[0].id),
    fields=_resolution_fields,
)


def resolutions(session: Session, entries: Entries, problems: Problems) -> None:
    """The newest resolution of each work against its row; each earlier one named."""
    recorded = data_of(entries, DisputeResolved)
    if not recorded:
        return
    newest = _resolutions(session, sorted({e.subject for e, _ in recorded}))
    current: Entries = []
    for entry, _ in recorded:
        later = newest.get(entry.subject, entry.index)
        if later > entry.index:
            problems.add(
                f"entry {entry.index} ({entry.subject}): the work was resolved again by "
                f"entry {later}; a work is resolved once, so its row was set back to "
                "disputed behind the log's back"
            )
        else:
            current.append(entry)
    check_rows(session, problems, current, DisputeResolved, _RESOLVED_ROW)


def unrecorded_disputes(session: Session, problems: Problems) -> None:
    """Works disputed or resolved, and claims between works, that no work.disputed entry
    records. (A work with that entry is held to it, and to its resolution, above.)"""
    kind = WorkDisputed.entry_kind
    work_id = col(Work.id)
    marked = (
        select(work_id, col(Work.status))
        .where(
            or_(col(Work.status) != WorkStatus.REGISTERED.value, col(Work.dispute).is_not(None)),
            ~recorded_by(kind, subject_of("work", work_id)),
        )
        .order_by(work_id)
        .limit(problems.room)
    )
    for row_id, status in session.exec(marked):
        problems.add(
            f"works row {row_id} holds a dispute resolution, but no {kind} entry records "
            "its dispute"
            if status == WorkStatus.REGISTERED.value
            else f"works row {row_id} is {status}, but no {kind} entry records its dispute"
        )
    claims = (
        select(col(WorkDispute.id), col(WorkDispute.work_id), col(WorkDispute.other_work_id))
        .where(~recorded_by(kind, subject_of("work", col(WorkDispute.work_id))))
        .order_by(col(WorkDispute.id))
        .limit(problems.room)
    )
    for row_id, disputed, other in session.exec(claims):
        problems.add(
            f"work_disputes row {row_id} (work {disputed} over work {other}) is recorded by "
            f"no {kind} entry"
        )
