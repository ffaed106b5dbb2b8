"""`govern worker`: report consumers in processes, torch and BLAS at one thread each
(OpenMP teams spin when a host is oversubscribed: the same 512 px report took 4x as long
with two threads per worker on a busy two-core machine)."""

import logging
import multiprocessing
import os
import signal
import threading
from types import FrameType

from governance.reports.consumer import SWEEP_EVERY_SECONDS, ReportConsumer
from governance.services import build_services
from governance.settings import Settings

log = logging.getLogger("governance")

# How often a child process looks whether its parent is still there.
PARENT_CHECK_SECONDS = 2.0


def single_threaded(settings: Settings) -> Settings:
    return settings.model_copy(update={"compute_threads": 1})


def consume(settings: Settings, stale_after: float, sweep_every: float | None = None) -> None:
    """Run one consumer in this process until SIGTERM or SIGINT (the job in progress
    ends first; a second signal ends the process at once)."""
    services = build_services(single_threaded(settings))
    every = sweep_every if sweep_every is not None else min(SWEEP_EVERY_SECONDS, stale_after / 2)
    consumer = ReportConsumer(services, stale_after=stale_after, sweep_every=every)

    def stop(signum: int, _: FrameType | None) -> None:
        if consumer.stop.is_set():
            raise SystemExit(128 + signum)
        consumer.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        consumer.run()
    finally:
        services.engine.dispose()


def _child(settings: Settings, stale_after: float, parent: int) -> None:
    # A child outlives no parent: orphaned (the parent was killed), it stops.
    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
    consume(settings, stale_after)


def run_workers(settings: Settings, processes: int, stale_after: float) -> None:
    """`processes` consumers: this process alone for one, else as many child processes
    (spawned: none inherits a parent's torch threads), stopped with the parent."""
    if processes <= 1:
        consume(settings, stale_after)
        return
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(
            target=_child, args=(settings, stale_after, os.getpid()), name=f"report-worker-{n}"
        )
        for n in range(processes)
    ]
    for child in children:
        child.start()

    def forward(signum: int, _: FrameType | None) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                os.kill(child.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        child.join()
