"""The model itself: the registered weights, under the call's time limit, on a worker."""

import time

import numpy as np

from governance.adapters.base import Generator, LoadedModel, ModelKind, Restorer
from governance.adapters.loader import AdapterSpec
from governance.adapters.workers import WORKERS, ModelRun
from governance.model_errors import ModelRunError, ModelTimeout
from governance.pipeline.context import CallContext, CallInput, GenerationInput, Output
from governance.pipeline.evidence import ModelEvidence
from governance.pipeline.stage import StageResult, failed, passed, refused


class RunModel:
    name = "model"

    def run(self, call: CallContext) -> tuple[StageResult, Output | None]:
        model = call.model
        scheme, _, target = model.adapter.partition(":")
        kind = ModelKind(model.kind)
        try:
            loaded = call.services.model_loader.load(AdapterSpec(scheme, target), kind)
        except Exception as exc:  # whatever loading raises, the call fails on the record
            return failed(
                self.name, "model_unavailable", f"the model cannot be loaded: {exc}"
            ), None
        evidence = ModelEvidence(
            model_id=call.model_id,
            name=model.name,
            version=model.version,
            adapter=model.adapter,
            weights_sha256=loaded.weights_sha256,
        )
        if loaded.weights_sha256 != model.weights_sha256:
            detail = (
                f"the weights on disk hash to {loaded.weights_sha256}, not to the registered "
                f"{model.weights_sha256}: this is not the model that was cleared"
            )
            return refused(self.name, "weights_changed", detail, evidence), None
        timeout = call.services.settings.model_timeout_seconds
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        run = ModelRun(lambda: _invoke(loaded, call.input, deadline))
        if not WORKERS.submit(run):
            detail = (
                f"all {WORKERS.limit} model workers are busy (some past their limit); try later"
            )
            return failed(self.name, "model_busy", detail, evidence), None
        if not run.done.wait(timeout) or isinstance(run.error, ModelTimeout):
            detail = f"the model ran past its {timeout:g} s limit"
            return failed(self.name, "model_timeout", detail, evidence), None
        if isinstance(run.error, ModelRunError):
            return failed(self.name, "model_error", str(run.error), evidence), None
        if run.error is not None:  # a model's own bug must not become the service's 500
            raised = type(run.error).__name__
            detail = f"the model raised {raised}: {run.error}"
            return failed(self.name, "model_error", detail, evidence), None
        evidence.run_ms = round((time.perf_counter() - started) * 1000, 3)
        problem = _check_output(run.output, call.input)
        if problem or run.output is None:
            return failed(self.name, "model_output_invalid", problem or "", evidence), None
        return passed(self.name, evidence), Output(run.output)


def _invoke(loaded: LoadedModel, request: CallInput, deadline: float) -> np.ndarray:
    if isinstance(request, GenerationInput):
        generator: Generator = loaded.runner  # type: ignore[assignment]
        return generator.generate(
            request.prompt, request.seed, request.width, request.height, deadline
        )
    restorer: Restorer = loaded.runner  # type: ignore[assignment]
    return restorer.restore(request.image, request.mask, deadline)


def _check_output(output: object, request: CallInput) -> str | None:
    if not isinstance(output, np.ndarray) or output.dtype != np.uint8 or output.ndim != 3:
        return "the model did not return an 8-bit RGB image"
    if isinstance(request, GenerationInput):
        expected: tuple[int, ...] = (request.height, request.width, 3)
    else:
        expected = request.image.shape
    if output.shape != expected:
        return f"the model returned an image of shape {output.shape}, not {expected}"
    return None
