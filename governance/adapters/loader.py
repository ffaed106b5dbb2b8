"""Naming, loading and caching models behind the adapter protocol.

Adapters are named `builtin:<name>`, `transformers:<local dir>` (an image-to-image
restorer, or an image-classification detector) or `python:<module>:<function>`. A
loaded model is kept per adapter and re-loaded (and re-hashed) when its files change on
disk, so a call always knows the SHA-256 of the weights it actually runs, and the
pipeline can refuse weights that are not the registered ones.
"""

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from governance.adapters.base import Detector, Generator, LoadedModel, ModelKind, Restorer
from governance.adapters.hashing import file_sha256
from governance.model_errors import ModelRunError
from governance.threads import limit_compute_threads

BUILTIN_KINDS = {
    "restoration": ModelKind.RESTORATION,
    "generation": ModelKind.GENERATION,
    "detector": ModelKind.DETECTOR,
}
SCHEMES = ("builtin", "transformers", "python")


class InvalidAdapterError(ValueError):
    """An adapter name that cannot name a model of this kind."""


@dataclass(frozen=True)
class AdapterSpec:
    scheme: str
    target: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.target}"


def parse_adapter(spec: str, kind: ModelKind) -> AdapterSpec:
    scheme, sep, target = spec.partition(":")
    if not sep or scheme not in SCHEMES or not target.strip():
        raise InvalidAdapterError(
            f"unknown adapter '{spec}'; use builtin:<name>, transformers:<local dir> "
            "or python:<module>:<function>"
        )
    if scheme == "builtin":
        if target not in BUILTIN_KINDS:
            raise InvalidAdapterError(
                f"there is no built-in model '{target}'; built-ins: " + ", ".join(BUILTIN_KINDS)
            )
        if BUILTIN_KINDS[target] is not kind:
            raise InvalidAdapterError(f"builtin:{target} is a {BUILTIN_KINDS[target]} model")
    elif scheme == "transformers":
        if kind is ModelKind.GENERATION:
            raise InvalidAdapterError(
                "transformers adapters run image-to-image restoration and image-classification "
                "detectors only"
            )
        if not Path(target).is_absolute():
            raise InvalidAdapterError("a transformers adapter names an absolute local directory")
    else:
        module, colon, function = target.partition(":")
        if not colon or not module or not function.isidentifier():
            raise InvalidAdapterError("a python adapter is python:<module>:<function>")
    return AdapterSpec(scheme, target)


def _stamp(spec: AdapterSpec) -> tuple[tuple[str, int, int], ...]:
    """What changes when the weights on disk change: names, sizes, modification times."""
    if spec.scheme == "builtin":
        paths = [_builtin_weights(spec.target)]
    elif spec.scheme == "transformers":
        root = Path(spec.target)
        if not (root / "config.json").is_file():
            raise ModelRunError(f"{root} holds no config.json: it is not a transformers model")
        paths = sorted(p for p in root.rglob("*") if p.is_file())
    else:
        try:
            found = importlib.util.find_spec(spec.target.partition(":")[0])
        except (ImportError, ValueError) as exc:
            raise ModelRunError(f"the module cannot be found: {exc}") from None
        origin = found.origin if found is not None else None
        paths = [Path(origin)] if origin and os.path.exists(origin) else []
    out = []
    for path in paths:
        info = path.stat()
        out.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(out)


def _builtin_weights(name: str) -> Path:
    if name == ModelKind.RESTORATION:
        from governance.builtin.inpainting import weights_path

        return weights_path()
    if name == ModelKind.DETECTOR:
        from governance.builtin.detector import weights_path as detector_weights

        return detector_weights()
    from governance.builtin.diffusion import weights_path as generation_weights

    return generation_weights()


def _load(spec: AdapterSpec, kind: ModelKind) -> LoadedModel:
    # Imports are deferred throughout: torch and transformers take seconds to import,
    # and a process that never runs a model (the CLI's keys and audit commands) needs
    # neither.
    if spec.scheme == "builtin":
        runner: Restorer | Generator | Detector
        if spec.target == ModelKind.RESTORATION:
            from governance.builtin.inpainting import BuiltinInpainter

            runner = BuiltinInpainter.load()
        elif spec.target == ModelKind.DETECTOR:
            from governance.builtin.detector import BuiltinDetector

            runner = BuiltinDetector.load()
        else:
            from governance.builtin.diffusion import BuiltinGenerator

            runner = BuiltinGenerator.load()
        weights = file_sha256(_builtin_weights(spec.target))
        return LoadedModel(kind=kind, weights_sha256=weights, runner=runner)
    if spec.scheme == "transformers" and kind is ModelKind.DETECTOR:
        from governance.adapters.hf_detector import load_transformers_detector

        return load_transformers_detector(Path(spec.target))
    if spec.scheme == "transformers":
        from governance.adapters.hf import load_transformers_restorer

        return load_transformers_restorer(Path(spec.target))
    from governance.adapters.python_callable import load_python_callable

    return load_python_callable(spec.target, kind)


def limit_torch_threads(threads: int) -> None:
    """Give torch the service's compute threads (GOVERN_COMPUTE_THREADS), as the core
    gave numpy's BLAS; torch is imported here, when a model is first loaded."""
    import torch

    # Process-wide: each thread takes the number on its first parallel operation, so
    # the model workers, which start later, run with it.
    torch.set_num_threads(threads)
    # torch brings its own OpenMP and BLAS libraries, loaded only now.
    limit_compute_threads(threads)


class ModelLoader:
    """One loaded model per adapter per process, re-loaded when its files change."""

    def __init__(self, threads: int = 1) -> None:
        self._threads = threads
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, ModelKind], tuple[object, LoadedModel]] = {}

    def load(self, spec: AdapterSpec, kind: ModelKind) -> LoadedModel:
        key = (str(spec), kind)
        # Outside the lock: a large model directory takes a while to list.
        try:
            stamp = _stamp(spec)
        except OSError as exc:
            raise ModelRunError(f"the model's files cannot be read: {exc}") from None
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            limit_torch_threads(self._threads)
            loaded = _load(spec, kind)
            self._cache[key] = (stamp, loaded)
            return loaded
