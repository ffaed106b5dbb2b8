"""Running the model under the call's limits, and keeping what it made.

Threads cannot be killed: a model past its time limit is told so through its
deadline (the built-in models check it between steps) and the call is recorded as
failed at once; a Python callable that never looks at its deadline runs on in its
thread until it returns, and its result is thrown away.
"""

import hashlib
import io
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np
from PIL import Image

from governance.adapters.base import Generator, LoadedModel, ModelKind, Restorer
from governance.adapters.errors import ModelRunError, ModelTimeout
from governance.adapters.loader import AdapterSpec
from governance.calls.context import CallContext, Outcome, StageResult, failed, refused

_EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="governed-model")


class RunModel:
    name = "model"

    def run(self, call: CallContext) -> StageResult:
        model = call.model
        scheme, _, target = model.adapter.partition(":")
        kind = ModelKind(model.kind)
        try:
            loaded = call.services.models.load(AdapterSpec(scheme, target), kind)
        except ModelRunError as exc:
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
        deadline = time.monotonic() + timeout
        started = time.perf_counter()
        future = _EXECUTOR.submit(_invoke, loaded, call, deadline)
        try:
            output = future.result(timeout=timeout)
        except (FutureTimeout, ModelTimeout):
            return failed(
                self.name, "model_timeout", f"the model ran past its {timeout:g} s limit", evidence
            )
        except ModelRunError as exc:
            return failed(self.name, "model_error", str(exc), evidence)
        except Exception as exc:  # a model's own bug must not become the service's 500
            return failed(
                self.name, "model_error", f"the model raised {type(exc).__name__}: {exc}", evidence
            )
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
    """Encode the output as PNG; the blob is written (content-addressed) when recorded."""

    name = "store_output"

    def run(self, call: CallContext) -> StageResult:
        assert call.output is not None
        buffer = io.BytesIO()
        Image.fromarray(call.output).save(buffer, "PNG")
        call.output_png = buffer.getvalue()
        digest = hashlib.sha256(call.output_png).hexdigest()
        return StageResult(
            self.name,
            Outcome.PASSED,
            {"sha256": digest, "bytes": len(call.output_png), "media_type": "image/png"},
        )
