"""Consumers of the report queue, and the sweep that makes a lost job run again.

The row is the truth: a worker killed mid-job leaves its row `running`, a message lost
before it reached the queue leaves it `queued`. Every consumer sweeps on start-up and
then every `sweep_every` seconds: rows running (or queued) longer than `stale_after` go
back on the queue. `job.finish` records only the attempt that still owns the row, so a
slow worker presumed dead records nothing twice.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from governance.db import after_commit, read_only, unit_of_work
from governance.reports.job import run_report_job
from governance.reports.models import CallReport, ReportState
from governance.reports.queue import enqueue_quietly, report_queue
from governance.services import Services
from rights.models import utcnow

log = logging.getLogger("governance")

# A 512 px report takes 20-50 s on one thread, the first of a model's weights a few
# minutes more (its randomisation check): a job running this long is taken for dead.
STALE_AFTER_SECONDS = 900.0
SWEEP_EVERY_SECONDS = 60.0
# How often an idle consumer asks the SQLite queue (Redis consumers wait on the queue).
IDLE_POLL_SECONDS = 0.2


def requeue_stale(services: Services, stale_after: float) -> list[int]:
    """Put back on the queue the rows running or queued for longer than `stale_after`
    seconds; their call ids. Each is enqueued once the change has committed."""
    now = utcnow()
    cutoff = now - timedelta(seconds=stale_after)
    stale = or_(
        and_(col(CallReport.state) == ReportState.RUNNING, col(CallReport.started_at) < cutoff),
        and_(col(CallReport.state) == ReportState.QUEUED, col(CallReport.queued_at) < cutoff),
    )
    with unit_of_work(services.engine) as session:
        rows = session.exec(select(CallReport).where(stale).with_for_update()).all()
        call_ids = [row.call_id for row in rows]
        for row in rows:
            if row.state == ReportState.RUNNING:
                log.warning("report of call %d ran past %g s: requeued", row.call_id, stale_after)
            row.state = ReportState.QUEUED
            # Re-dated, so that a long queue is not enqueued again at every sweep.
            row.queued_at = now
            session.add(row)
        if call_ids:
            after_commit(session, lambda: _enqueue_all(services, call_ids))
    return call_ids


def _enqueue_all(services: Services, call_ids: list[int]) -> None:
    for call_id in call_ids:
        enqueue_quietly(services.settings, call_id)


@dataclass
class ReportConsumer:
    """Takes report jobs off the queue and runs them, one at a time, until `stop`."""

    services: Services
    stale_after: float = STALE_AFTER_SECONDS
    sweep_every: float = SWEEP_EVERY_SECONDS
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        queue = report_queue(self.services.settings)
        next_sweep = 0.0
        while not self.stop.is_set():
            if time.monotonic() >= next_sweep:
                self._sweep()
                next_sweep = time.monotonic() + self.sweep_every
            try:
                call_id = queue.next_call()
            except Exception:  # the queue's store is down: wait, and ask again
                log.warning("the report queue cannot be read", exc_info=True)
                self.stop.wait(1.0)
                continue
            if call_id is None:
                if not queue.blocking:
                    self.stop.wait(IDLE_POLL_SECONDS)
                continue
            self._run(call_id)

    def _sweep(self) -> None:
        try:
            requeue_stale(self.services, self.stale_after)
        except Exception:
            log.warning("the report sweep failed; it runs again later", exc_info=True)

    def _run(self, call_id: int) -> None:
        try:
            run_report_job(self.services, call_id)
        except Exception:
            # The database failed around the job: its row stays running, and a sweep
            # puts it back once it is stale.
            log.exception("report of call %d could not be recorded", call_id)


@dataclass(frozen=True)
class PendingRun:
    ready: list[int]
    failed: list[int]
    # Rows still queued or running when the time ran out.
    left: list[int]


def run_pending(services: Services, timeout: float = 600.0) -> PendingRun:
    """Run every queued report to its end in this process, for the demo and scripts:
    the messages on the queue first, then any queued row whose message was lost. Waits
    for rows another consumer is running, up to `timeout` seconds in all."""
    queue = report_queue(services.settings)
    deadline = time.monotonic() + timeout
    ready: list[int] = []
    failed: list[int] = []
    while time.monotonic() < deadline:
        call_id = queue.next_call()
        if call_id is None:
            waiting = unfinished(services)
            queued = [c for c, state in waiting if state == ReportState.QUEUED]
            if not waiting:
                break
            if not queued:  # running elsewhere: wait for it
                time.sleep(IDLE_POLL_SECONDS)
                continue
            call_id = queued[0]
        state = run_report_job(services, call_id)
        if state is ReportState.READY:
            ready.append(call_id)
        elif state is ReportState.FAILED:
            failed.append(call_id)
    return PendingRun(ready, failed, [c for c, _ in unfinished(services)])


def unfinished(services: Services) -> list[tuple[int, str]]:
    """Rows queued or running, oldest first: (call id, state)."""
    states = (ReportState.QUEUED, ReportState.RUNNING)
    query = (
        select(CallReport.call_id, CallReport.state)
        .where(col(CallReport.state).in_(states))
        .order_by(col(CallReport.queued_at), col(CallReport.id))
    )
    with Session(read_only(services.engine)) as session:
        return [(call_id, state) for call_id, state in session.exec(query).all()]


class EmbeddedConsumers:
    """Consumers running as threads of this process (`govern serve`, `govern demo`)."""

    def __init__(
        self, services: Services, count: int, stale_after: float = STALE_AFTER_SECONDS
    ) -> None:
        self.stop = threading.Event()
        self.threads = []
        for number in range(count):
            consumer = ReportConsumer(services, stale_after=stale_after, stop=self.stop)
            # Daemon: a job cut short by the process's end leaves its row running, and
            # a later sweep runs it again.
            thread = threading.Thread(
                target=consumer.run, name=f"report-consumer-{number}", daemon=True
            )
            thread.start()
            self.threads.append(thread)

    def close(self, wait: float = 5.0) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(wait)
