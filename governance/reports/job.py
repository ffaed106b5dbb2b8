"""One report job, idempotent by call: take the row, build the report, record it once.

take:   queued -> running, attempts + 1, in a short transaction (a row in any other state
        is not taken: a second delivery of the message is a no-op)
build:  no transaction open (kinds.py: build.py for a restoration, generation.py for a
        generation)
finish: in ONE unit of work, every file kept as a blob by its SHA-256, the row ready,
        and its `report.ready` entry appended; only if the row is still running this
        attempt, so a worker that was presumed dead and requeued records nothing
fail:   the reason in words, state failed (an admin may retry it)
"""

import logging
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from governance.audit.entries_reports import ReportFile, ReportReady
from governance.blobs import keep_blob
from governance.db import unit_of_work
from governance.reports.kinds import build_call_report
from governance.reports.models import CallReport, ReportState
from governance.services import Services
from rights.models import utcnow

if TYPE_CHECKING:
    from explain.report import ReportParams
    from governance.reports.build import Built
    from governance.reports.generation import BuiltGeneration

log = logging.getLogger("governance")

# Who appends report.ready: no key acts, the service's report worker does.
ACTOR = "worker:reports"
MAX_REASON_CHARS = 2000


def locked_row(session: Session, call_id: int) -> CallReport | None:
    """The call's report row, locked for this transaction (SQLite's writer lock is taken
    by the transaction's BEGIN IMMEDIATE already)."""
    query = select(CallReport).where(CallReport.call_id == call_id).with_for_update()
    return session.exec(query).first()


def run_report_job(
    services: Services, call_id: int, params: "ReportParams | None" = None
) -> ReportState | None:
    """Run the report of `call_id` if its row is queued; the state it ended in, or None
    when there was nothing to do (ready already, taken by another worker, no row)."""
    attempt = take(services, call_id)
    if attempt is None:
        return None
    try:
        built = build_call_report(services, call_id, params)
    except Exception as exc:  # any reason becomes the row's, in words, for an admin
        log.warning("report of call %d failed (attempt %d)", call_id, attempt, exc_info=True)
        return ReportState.FAILED if fail(services, call_id, attempt, in_words(exc)) else None
    return ReportState.READY if finish(services, call_id, attempt, built) else None


def take(services: Services, call_id: int) -> int | None:
    """The attempt's number if this worker took the row, else None."""
    with unit_of_work(services.engine) as session:
        row = locked_row(session, call_id)
        if row is None or row.state != ReportState.QUEUED:
            return None
        row.state = ReportState.RUNNING
        row.attempts += 1
        row.started_at = utcnow()
        row.finished_at = None
        row.reason = None
        session.add(row)
        return row.attempts


def finish(
    services: Services, call_id: int, attempt: int, built: "Built | BuiltGeneration"
) -> bool:
    with unit_of_work(services.engine) as session:
        row = locked_row(session, call_id)
        if row is None or row.state != ReportState.RUNNING or row.attempts != attempt:
            log.info("report of call %d: attempt %d was overtaken; not recorded", call_id, attempt)
            return False
        files: dict[str, dict[str, object]] = {}
        listed = []
        for name, (media_type, data) in sorted(built.report.files.items()):
            sha256 = keep_blob(session, services.blobs, data)
            files[name] = {"sha256": sha256, "media_type": media_type, "size": len(data)}
            listed.append(
                ReportFile(name=name, sha256=sha256, media_type=media_type, size=len(data))
            )
        report_sha256 = keep_blob(session, services.blobs, built.report.json_bytes)
        entry = services.audit.record(
            session,
            f"call:{call_id}",
            ACTOR,
            ReportReady(
                call_id=call_id,
                report_sha256=report_sha256,
                report_schema=report_schema(built),
                files=listed,
                weights_sha256=built.weights_sha256,
                randomisation_sha256=built.randomisation_sha256,
            ),
        )
        row.state = ReportState.READY
        row.report_sha256 = report_sha256
        row.files = files
        row.audit_index = entry.idx
        row.finished_at = utcnow()
        session.add(row)
        return True


def fail(services: Services, call_id: int, attempt: int, reason: str) -> bool:
    with unit_of_work(services.engine) as session:
        row = locked_row(session, call_id)
        if row is None or row.state != ReportState.RUNNING or row.attempts != attempt:
            return False
        row.state = ReportState.FAILED
        row.reason = reason
        row.finished_at = utcnow()
        session.add(row)
        return True


def report_schema(built: "Built | BuiltGeneration") -> str:
    schema: str = built.report.report.schema_
    return schema


def in_words(exc: BaseException) -> str:
    text = str(exc).strip() or "no message"
    return f"{type(exc).__name__}: {text}"[:MAX_REASON_CHARS]
