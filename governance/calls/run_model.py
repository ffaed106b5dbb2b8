"""Running the model under the call's limits, and keeping what it made.

Models run on long-lived worker threads: torch's OpenMP team belongs to the thread
that calls it, and a fresh thread per call doubled a 512 px model's time. A call is
handed only to an idle worker (or one started for it), so the time limit counts the
model's time, never a wait in a queue. Threads cannot be killed: a model past its
limit is told so through its deadline (the built-in models check it between steps)
and the call is recorded as failed at once; a Python callable that never looks at
its deadline keeps its worker until it returns, its result thrown away. Such workers
still count against MAX_WORKERS, so hung models make new calls fail fast
(`model_busy`) instead of piling up threads.
"""

import io
import queue
import threading
import time
from typing import Any

import numpy as np
from PIL import Image

from governance.adapters.base import Generator, LoadedModel, ModelKind, Restorer
from governance.adapters.errors import ModelRunError, ModelTimeout
from governance.adapters.loader import AdapterSpec
from governance.calls.context import (
    CallContext,
    Outcome,
    StageResult,
    failed,
    keep_file,
    refused,
)

MAX_WORKERS = 8


class _Run:
    """One model run; `done` is set when the model returned or raised."""

    def __init__(self, loaded: LoadedModel, call: CallContext, deadline: float) -> None:
        self.loaded, self.call, self.deadline = loaded, call, deadline
        self.output: np.ndarray | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()

    def execute(self) -> None:
        try:
            self.output = _invoke(self.loaded, self.call, self.deadline)
        except BaseException as exc:  # handed to the request thread, which judges it
            self.error = exc
        finally:
            self.done.set()


class _Workers:
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._jobs: queue.SimpleQueue[_Run] = queue.SimpleQueue()
        self._idle = 0
        self._threads = 0

    def submit(self, run: _Run) -> bool:
        """Hand `run` to a worker that takes it at once; False when none can."""
        with self._lock:
            if self._idle > 0:
                self._idle -= 1
            elif self._threads < self._limit:
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


_WORKERS = _Workers(MAX_WORKERS)


class RunModel:
    name = "model"

    def run(self, call: CallContext) -> StageResult:
        model = call.model
        scheme, _, target = model.adapter.partition(":")
        kind = ModelKind(model.kind)
        try:
            loaded = call.services.model_loader.load(AdapterSpec(scheme, target), kind)
        except Exception as exc:  # whatever loading raises, the call fails on the record
            return failed(self.name, "model_unavailable", f"the model cannot be loaded: {exc}")
        evidence: dict[str, Any] = {
            "model_id": model.id,
            "name": model.name,
            "version": model.version,
            "adapter": model.adapter,
            "weights_sha256": loaded.weights_sha256,
        }
        if loaded.weights_sha256 != model.weights_sha256:
            return refused(
                self.name,
                "weights_changed",
                f"the weights on disk hash to {loaded.weights_sha256}, not to the registered "
                f"{model.weights_sha256}: this is not the model that was cleared",
                evidence,
            )
        timeout = call.services.settings.model_timeout_seconds
        started = time.perf_counter()
        run = _Run(loaded, call, time.monotonic() + timeout)
        if not _WORKERS.submit(run):
            return failed(
                self.name,
                "model_busy",
                f"all {MAX_WORKERS} model workers are busy (some past their limit); try later",
                evidence,
            )
        if not run.done.wait(timeout) or isinstance(run.error, ModelTimeout):
            return failed(
                self.name, "model_timeout", f"the model ran past its {timeout:g} s limit", evidence
            )
        if isinstance(run.error, ModelRunError):
            return failed(self.name, "model_error", str(run.error), evidence)
        if run.error is not None:  # a model's own bug must not become the service's 500
            raised = type(run.error).__name__
            return failed(
                self.name, "model_error", f"the model raised {raised}: {run.error}", evidence
            )
        output = run.output
        evidence["run_ms"] = round((time.perf_counter() - started) * 1000, 3)
        problem = _check_output(output, call)
        if problem:
            return failed(self.name, "model_output_invalid", problem, evidence)
        call.output = output
        return StageResult(self.name, Outcome.PASSED, evidence)


def _invoke(loaded: LoadedModel, call: CallContext, deadline: float) -> np.ndarray:
    if loaded.kind is ModelKind.RESTORATION:
        assert call.image is not None and call.mask is not None
        restorer: Restorer = loaded.runner  # type: ignore[assignment]
        return restorer.restore(call.image, call.mask, deadline)
    generator: Generator = loaded.runner  # type: ignore[assignment]
    request = call.request
    return generator.generate(
        request["prompt"], request["seed"], request["width"], request["height"], deadline
    )


def _check_output(output: object, call: CallContext) -> str | None:
    if not isinstance(output, np.ndarray) or output.dtype != np.uint8 or output.ndim != 3:
        return "the model did not return an 8-bit RGB image"
    if call.image is not None:
        expected = call.image.shape
    else:
        expected = (call.request["height"], call.request["width"], 3)
    if output.shape != expected:
        return f"the model returned an image of shape {output.shape}, not {expected}"
    return None


class StoreOutput:
    """Stage the output, content-addressed, for the record: the labelled file when the
    label stage made one, else the pixels as PNG."""

    name = "store_output"

    def run(self, call: CallContext) -> StageResult:
        assert call.output is not None
        data = call.output_file
        if data is None:
            data = encode_png(call.output, call.services.settings.output_png_level)
        call.output_sha256 = keep_file(call, data)
        return StageResult(
            self.name,
            Outcome.PASSED,
            {"sha256": call.output_sha256, "bytes": len(data), "media_type": "image/png"},
        )


def encode_png(pixels: np.ndarray, level: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=level)
    return buffer.getvalue()
