"""Models that are plain Python functions, named `module:function` by the operator.

For institutions with an in-house model that is neither built in nor a transformers
checkpoint. The function is trusted code (the operator installs it); what this adapter
does not trust is its return value, which is checked before it can become a record.
"""

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from governance.adapters.base import LoadedModel, ModelKind
from governance.adapters.hashing import file_sha256
from governance.model_errors import ModelRunError, check_deadline


def load_python_callable(spec: str, kind: ModelKind) -> LoadedModel:
    """Import `spec` (`module:function`, e.g. `mypkg.models:restore`) as a model of `kind`.

    Restoration functions are called as `function(image, mask)`, generation functions as
    `function(prompt=..., seed=..., width=..., height=...)`. The weights digest is the
    SHA-256 of the module's source file.
    """
    function, source = _resolve(spec)
    runner: CallableRestorer | CallableGenerator | CallableDetector
    if kind is ModelKind.RESTORATION:
        runner = CallableRestorer(function)
    elif kind is ModelKind.GENERATION:
        runner = CallableGenerator(function)
    else:
        runner = CallableDetector(function)
    return LoadedModel(kind=kind, weights_sha256=file_sha256(source), runner=runner)


def _resolve(spec: str) -> tuple[Callable[..., Any], Path]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ModelRunError(f"the model spec {spec!r} is not of the form module:function")
    try:
        loaded = sys.modules.get(module_name)
        # The loader comes here when the source file changed: run the code it hashes,
        # not the copy imported before.
        module = importlib.reload(loaded) if loaded else importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Tell "no such module" apart from "the module needs something not installed".
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
            raise ModelRunError(f"the module {module_name!r} cannot be found") from exc
        raise ModelRunError(f"importing {module_name!r} failed: {exc}") from exc
    except Exception as exc:
        raise ModelRunError(
            f"importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ModelRunError(f"the module {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    if not callable(target):
        raise ModelRunError(f"{spec!r} is a {type(target).__name__}, not a callable")
    source = getattr(module, "__file__", None)
    if source is None:
        raise ModelRunError(f"the module {module_name!r} has no source file to hash")
    return target, Path(source)


def _call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return function(*args, **kwargs)
    except ModelRunError:
        # Includes ModelTimeout from a function that checks its own deadline.
        raise
    except Exception as exc:
        raise ModelRunError(f"the model raised {type(exc).__name__}: {exc}") from exc


class CallableRestorer:
    """A Restorer over `function(image, mask)`. Its whole answer is kept, not only the
    masked pixels: the function sees the image at full resolution, so what it changed
    outside the mask is its own doing, and the screen stage flags it for a person
    (`changed_outside_mask`) rather than the adapter hiding it."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function

    def restore(
        self, image: np.ndarray, mask: np.ndarray, deadline: float | None = None
    ) -> np.ndarray:
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or not image.size:
            raise ValueError("the image must be a non-empty uint8 height x width x 3 array")
        if mask.dtype != np.bool_ or mask.shape != image.shape[:2]:
            raise ValueError("the mask must be a bool array of the image's height x width")
        check_deadline(deadline)
        # Copies, so a function that writes into its arguments cannot alter the input
        # the screen stage compares its answer with.
        result = _call(self._function, image.copy(), mask.copy())
        check_deadline(deadline)
        height, width = mask.shape
        return _as_rgb_uint8(result, height, width)


class CallableGenerator:
    """A Generator over `function(prompt=..., seed=..., width=..., height=...)`."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function

    def generate(
        self, prompt: str, seed: int, width: int, height: int, deadline: float | None = None
    ) -> np.ndarray:
        if width < 1 or height < 1:
            raise ValueError("width and height must be at least 1 pixel")
        check_deadline(deadline)
        result = _call(self._function, prompt=prompt, seed=seed, width=width, height=height)
        check_deadline(deadline)
        return _as_rgb_uint8(result, height, width)


class CallableDetector:
    """A Detector over `function(image) -> score in [0, 1]` (screening runs it; a later
    version of the pipeline). Registered now so that its training data is cleared too."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self._function = function

    def score(self, image: np.ndarray, deadline: float | None = None) -> float:
        check_deadline(deadline)
        result = _call(self._function, image.copy())
        try:
            value = float(result)
        except (TypeError, ValueError):
            raise ModelRunError(f"the detector returned {type(result).__name__}") from None
        if not 0.0 <= value <= 1.0:
            raise ModelRunError(f"the detector returned {value}, not a score in [0, 1]")
        return value


def _as_rgb_uint8(result: object, height: int, width: int) -> np.ndarray:
    """The function's answer as uint8 height x width x 3, or ModelRunError saying why not."""
    if isinstance(result, Image.Image):
        array = np.asarray(result.convert("RGB"))
    elif isinstance(result, np.ndarray):
        array = result
    else:
        raise ModelRunError(f"the model returned {type(result).__name__}, not an image")
    if array.ndim != 3 or array.shape[2] != 3:
        raise ModelRunError(
            f"the model returned an array of shape {array.shape}, not height x width x 3"
        )
    if array.shape[:2] != (height, width):
        raise ModelRunError(
            f"the model returned a {array.shape[0]}x{array.shape[1]} image, "
            f"expected {height}x{width} (height x width)"
        )
    if array.dtype == np.uint8:
        return np.array(array, dtype=np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or array.min() < 0.0 or array.max() > 1.0:
            raise ModelRunError("the model returned float values outside [0, 1]")
        scaled: np.ndarray = np.rint(array * 255.0).astype(np.uint8)
        return scaled
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise ModelRunError("the model returned integer values outside 0-255")
        return array.astype(np.uint8)
    raise ModelRunError(f"the model returned an array of dtype {array.dtype}, not an image")
