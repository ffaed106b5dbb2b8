"""Report consumers in other processes and on Redis: a worker killed mid-job leaves its
row running, and the next worker runs it again and records it exactly once."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from governance.reports.consumer import EmbeddedConsumers
from governance.reports.models import CallReport, ReportState
from governance.reports.queue import report_queue
from tests.reports.helpers import SLOW, ready_entries, report_row, restoration, restorer
from tests.support.live_server import free_port
from tests.support.service_fixture import Service, make_service

ROOT = Path(__file__).resolve().parents[2]
GOVERN = Path(sys.executable).with_name("govern")


def _until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {seconds} s")
        time.sleep(0.1)


def _worker(service: Service, database_url: str, *options: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GOVERN_DATA_DIR": str(service.settings.data_dir),
        "GOVERN_DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
    }
    env.pop("GOVERN_QUEUE_URL", None)
    return subprocess.Popen([str(GOVERN), "worker", *options], env=env, cwd=ROOT)


def _state(service: Service, call_id: int) -> str:
    return report_row(service, call_id).state


def test_a_worker_killed_mid_job_is_replaced_and_records_once(
    service: Service, database_url: str
) -> None:
    call_id = restoration(service, restorer(service, SLOW))["id"]
    first = _worker(service, database_url)
    try:
        _until(lambda: _state(service, call_id) == ReportState.RUNNING, 120, "running job")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    killed: CallReport = report_row(service, call_id)
    assert (killed.state, killed.attempts) == (ReportState.RUNNING, 1)
    assert ready_entries(service, call_id) == []

    second = _worker(service, database_url, "--stale-after", "2")
    try:
        _until(lambda: _state(service, call_id) == ReportState.READY, 240, "ready report")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(120) == 0
    row = report_row(service, call_id)
    assert row.attempts == 2
    [entry] = ready_entries(service, call_id)
    assert entry.idx == row.audit_index


@pytest.fixture
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        # CI has Redis (README): there a missing server is a failure, not a skip.
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        _until(lambda: _pings(client), 20, "redis")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(20)


def _pings(client: object) -> bool:
    try:
        return bool(client.ping())  # type: ignore[attr-defined]
    except Exception:
        return False


def test_reports_run_from_a_redis_queue(database_url: str, tmp_path: Path, redis_url: str) -> None:
    service = make_service(database_url, tmp_path / "data", queue_url=redis_url)
    try:
        services = service.app.state.services
        queue = report_queue(services.settings)
        call_id = restoration(service, restorer(service))["id"]
        assert queue.pending() == 1
        # Nothing was written beside the database: the queue is Redis's.
        assert not (service.settings.data_dir / "report-jobs.db").exists()
        consumers = EmbeddedConsumers(services, 1)
        try:
            _until(lambda: _state(service, call_id) == ReportState.READY, 240, "ready report")
        finally:
            consumers.close()
        assert queue.pending() == 0
        assert len(ready_entries(service, call_id)) == 1
    finally:
        services.engine.dispose()
