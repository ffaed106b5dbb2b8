"""Report jobs: pick-up latency on SQLite and on Redis, and a restoration call's own
latency with its report queued (the job's row and message) and without.

Pick-up latency: from the message's enqueue (just after the call's commit) to a consumer
taking the row (its started_at), with one embedded consumer idle and waiting. The report itself is
not timed here (bench/bench_report*.py of the explain library times it).

Call latency: POST /v1/restorations on a 64 px picture with a plain-function restorer,
`--calls` times each way, interleaved: "with" queues the report as the service does,
"without" is the same call with `queue_report` replaced by a no-op (the call before
reports existed). Both wall and CPU (process) time, since the host is shared.

    nice python bench/bench_report_jobs.py [--calls 30] [--pickups 15] [--redis-port P]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

import governance.pipeline.service as pipeline  # noqa: E402
from governance.reports.consumer import EmbeddedConsumers  # noqa: E402
from governance.reports.models import CallReport  # noqa: E402
from governance.reports.queue import ReportQueue  # noqa: E402
from tests.reports.helpers import restorer  # noqa: E402
from tests.support.call_helpers import _mask, restore  # noqa: E402
from tests.support.helpers import encode, np_image  # noqa: E402
from tests.support.live_server import free_port  # noqa: E402
from tests.support.service_fixture import Service, make_service  # noqa: E402

HOLD = "python:bench.bench_report_jobs:hold_restore"


def hold_restore(image, mask):  # type: ignore[no-untyped-def]
    """A restorer that returns the picture: the bench times the queue, not a model."""
    return image


def _service(root: Path, queue_url: str | None) -> Service:
    extra = {"queue_url": queue_url} if queue_url else {}
    return make_service(f"sqlite:///{root / 'bench.db'}", root / "data", **extra)


def _started_at(service: Service, call_id: int) -> float | None:
    with Session(service.app.state.services.engine) as session:
        row = session.exec(select(CallReport).where(CallReport.call_id == call_id)).one()
        return row.started_at.timestamp() if row.started_at else None


def pickups(service: Service, model: int, count: int) -> list[float]:
    """Seconds from the message's enqueue (after the call's commit) to the row running."""
    enqueued: dict[int, float] = {}
    enqueue = ReportQueue.enqueue
    patch = pytest.MonkeyPatch()

    def timed(queue: ReportQueue, call_id: int) -> None:
        enqueued[call_id] = time.time()
        enqueue(queue, call_id)

    patch.setattr(ReportQueue, "enqueue", timed)
    consumers = EmbeddedConsumers(service.app.state.services, 1)
    found = []
    try:
        time.sleep(1.0)  # the consumer is idle and waiting, as in service
        for seed in range(count):
            answer = restore(service, encode(np_image(seed, 64)), _mask(64, 64), model)
            call_id = answer.json()["id"]
            deadline = time.monotonic() + 60
            while (started := _started_at(service, call_id)) is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"call {call_id}'s report was not picked up")
                time.sleep(0.005)
            found.append(started - enqueued[call_id])
            # Let the report finish so the next pick-up finds the consumer idle again.
            while _state(service, call_id) not in ("ready", "failed"):
                time.sleep(0.05)
            time.sleep(0.3)
    finally:
        consumers.close(60)
        patch.undo()
    return found


def _state(service: Service, call_id: int) -> str:
    with Session(service.app.state.services.engine) as session:
        return session.exec(select(CallReport.state).where(CallReport.call_id == call_id)).one()


def call_times(service: Service, model: int, calls: int) -> dict[str, list[tuple[float, float]]]:
    queued: Callable[..., object] = vars(pipeline)["queue_report"]
    patch = pytest.MonkeyPatch()
    times: dict[str, list[tuple[float, float]]] = {"with report job": [], "without": []}

    def no_report(*_: object) -> None:
        return None

    variants: list[tuple[str, Callable[..., object]]] = [
        ("with report job", queued),
        ("without", no_report),
    ]
    image, mask = encode(np_image(7, 64)), _mask(64, 64)
    for n in range(calls + 2):
        for name, hook in variants if n % 2 else reversed(variants):
            patch.setattr(pipeline, "queue_report", hook)
            wall, cpu = time.perf_counter(), time.process_time()
            answer = restore(service, image, mask, model)
            spent = (time.perf_counter() - wall, time.process_time() - cpu)
            assert answer.status_code == 201, answer.text
            if n >= 2:  # the first calls warm caches
                times[name].append(spent)
    patch.undo()
    return times


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{statistics.median(values) * 1000:8.1f} {p90 * 1000:8.1f} {max(values) * 1000:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--pickups", type=int, default=15)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}")
    redis_binary = shutil.which("redis-server")
    port = free_port()
    server = subprocess.Popen(
        [redis_binary or "redis-server", "--port", str(port), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    try:
        print("\npick-up latency (enqueued -> job running), ms: median p90 max")
        for label, url in (("sqlite", None), ("redis", f"redis://127.0.0.1:{port}/0")):
            with tempfile.TemporaryDirectory() as tmp:
                service = _service(Path(tmp), url)
                found = pickups(service, restorer(service, HOLD), args.pickups)
                print(f"  {label:8s} n={len(found):3d} {_ms(found)}")
                service.app.state.services.engine.dispose()
        print("\nPOST /v1/restorations, 64 px, SQLite queue, ms: median p90 max")
        with tempfile.TemporaryDirectory() as tmp:
            service = _service(Path(tmp), None)
            for name, spent in call_times(service, restorer(service, HOLD), args.calls).items():
                walls = [w for w, _ in spent]
                cpus = [c for _, c in spent]
                print(f"  {name:16s} wall {_ms(walls)} | cpu {_ms(cpus)}")
            service.app.state.services.engine.dispose()
    finally:
        server.terminate()
        server.wait(10)
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
