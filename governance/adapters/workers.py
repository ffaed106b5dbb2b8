"""Long-lived threads that run models under the call's limits.

torch's OpenMP team belongs to the thread that calls it, and a fresh thread per call
doubled a 512 px model's time. A run is handed only to an idle worker (or one started
for it), so the time limit counts the model's time, never a wait in a queue. Threads
cannot be killed: a model past its limit is told so through its deadline (the built-in
models check it between steps) and the call is recorded as failed at once; a Python
callable that never looks at its deadline keeps its worker until it returns, its result
thrown away. Such workers still count against the limit, so hung models make new calls
fail fast (`model_busy`) instead of piling up threads.
"""

import queue
import threading
from collections.abc import Callable

import numpy as np

MAX_WORKERS = 8


class ModelRun:
    """One model run; `done` is set when the model returned or raised."""

    def __init__(self, invoke: Callable[[], np.ndarray]) -> None:
        self._invoke = invoke
        self.output: np.ndarray | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def execute(self) -> None:
        try:
            self.output = self._invoke()
        except BaseException as exc:  # handed to the request thread, which judges it
            self.error = exc
        finally:
            self.done.set()


class ModelWorkers:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[ModelRun] = queue.SimpleQueue()
        self._idle = 0
        self._threads = 0

    def submit(self, run: ModelRun) -> bool:
        """Hand `run` to a worker that takes it at once; False when none can."""
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
            elif self._threads < self.limit:
                self._threads += 1
                threading.Thread(target=self._work, daemon=True, name="governed-model").start()
            else:
                return False
        self._jobs.put(run)
        return True

    def _work(self) -> None:
        while True:
            self._jobs.get().execute()
            with self._lock:
                self._idle += 1


WORKERS = ModelWorkers(MAX_WORKERS)
