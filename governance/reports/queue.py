"""The report jobs' queue (huey): a SQLite file in the data dir on one machine, Redis
(GOVERN_QUEUE_URL=redis://...) where workers run on several.

A message names a call id and nothing else: the call's `CallReport` row is the truth of
its job (queued, running, ready, failed), so a lost or doubled message costs nothing but
a requeue (`sweep.requeue_stale`) or a no-op (`job.take`).
"""

import logging
import threading
from pathlib import Path

from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from huey.api import Huey, TaskWrapper  # type: ignore[import-untyped]

from governance.settings import Settings

log = logging.getLogger("governance")

QUEUE_NAME = "govern-reports"
TASK_NAME = "restoration_report"
SQLITE_FILE = "report-jobs.db"


def sqlite_queue_file(settings: Settings) -> Path:
    return settings.data_dir / SQLITE_FILE


class ReportQueue:
    """Puts a call's report job on the queue and takes the next one off it."""

    def __init__(self, settings: Settings) -> None:
        huey: Huey
        if settings.queue_url:
            # Blocking reads: a consumer waits on Redis, not on a poll, for the next job.
            huey = RedisHuey(QUEUE_NAME, url=settings.queue_url, results=False, read_timeout=1)
        else:
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            huey = SqliteHuey(
                QUEUE_NAME, filename=str(sqlite_queue_file(settings)), results=False, timeout=10
            )
        self.huey = huey
        self.blocking = bool(settings.queue_url)
        # Registered so that a message reads back as this task; its body never runs
        # through huey: `next_call` hands the call id to the consumer, which owns retries.
        self._task: TaskWrapper = huey.task(name=TASK_NAME)(_never_run)

    def enqueue(self, call_id: int) -> None:
        self.huey.enqueue(self._task.s(call_id))

    def next_call(self) -> int | None:
        """The call id of the next message, taken off the queue; None when there is none
        (Redis waits up to a second for one)."""
        task = self.huey.dequeue()
        if task is None:
            return None
        call_id = task.args[0] if task.args else None
        if not isinstance(call_id, int):
            log.warning("dropped a report message without a call id: %r", task.args)
            return None
        return call_id

    def pending(self) -> int:
        return int(self.huey.pending_count())

    def close(self) -> None:
        storage = self.huey.storage
        pool = getattr(storage, "pool", None)
        if pool is not None:
            pool.disconnect()


def _never_run(call_id: int) -> None:
    raise RuntimeError(f"report {call_id} must be run by a report consumer, not by huey")


_QUEUES: dict[tuple[str | None, str], ReportQueue] = {}
_LOCK = threading.Lock()


def report_queue(settings: Settings) -> ReportQueue:
    """The process's queue for these settings (one connection pool or file per queue)."""
    key = (settings.queue_url, str(settings.data_dir.resolve()))
    with _LOCK:
        queue = _QUEUES.get(key)
        if queue is None:
            queue = _QUEUES[key] = ReportQueue(settings)
        return queue


def enqueue_quietly(settings: Settings, call_id: int) -> None:
    """Enqueue after the call's commit; a queue that cannot be reached loses nothing (the
    row is queued, and the next sweep puts it back), so the call is not failed for it."""
    try:
        report_queue(settings).enqueue(call_id)
    except Exception:
        log.warning("report of call %d not enqueued; the sweep will", call_id, exc_info=True)
